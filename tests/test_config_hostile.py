"""A hostile-config corpus: every bad file, key or option is one line ``error: ...`` on
stderr, exit code 2, no traceback, and nothing written (the run directory does not exist
afterwards). Plus the safe YAML reader on its own (mpinn.config.yamlio)."""

import time

import pytest
import yaml

from mpinn import config
from mpinn.cli import main
from mpinn.config import ConfigError, read_yaml
from mpinn.config.yamlio import MAX_BYTES

PROBLEM = "problems/coupled_sym.mp"


def _bomb(levels: int = 9) -> str:
    """A ~600-byte "billion laughs": 10**levels strings once the aliases expand."""
    lines = ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "quick:\n" + "\n".join(lines) + "\n"


def _solve(tmp_path, capsys, *options, config_text=None, config_bytes=None, steps="5"):
    """Run `mpinn solve` in-process; returns (exit code, stderr lines, run dir exists)."""
    out = tmp_path / "run"
    argv = ["solve", PROBLEM, "--quiet", "--out", str(out), *options]
    if steps is not None:
        argv += ["--steps", steps]
    if config_text is not None or config_bytes is not None:
        path = tmp_path / "bad.yaml"
        if config_bytes is not None:
            path.write_bytes(config_bytes)
        else:
            path.write_text(config_text, encoding="utf-8")
        argv += ["--config", str(path)]
    code = main(argv)
    err = capsys.readouterr().err
    return code, err.splitlines(), out.exists()


def _refused(tmp_path, capsys, *options, match=None, **kw):
    code, lines, written = _solve(tmp_path, capsys, *options, **kw)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    assert "Traceback" not in lines[0]
    assert not written, "the run directory was created before the error"
    if match is not None:
        assert match in lines[0], lines[0]
    return lines[0]


# --- files ------------------------------------------------------------------------------
FILES = {
    "alias bomb": (_bomb(), "anchors"),
    "recursive anchor": ("quick: &r {steps: *r}\n", "anchors"),
    "alias only": ("steps: *nowhere\n", "aliases"),
    "duplicate key": ("steps: 5\nseed: 1\nsteps: 6\n", "duplicate key 'steps'"),
    "nested duplicate": ("optimizer:\n  lr: 1.0e-3\n  lr: 2.0e-3\n", ":3: duplicate key 'lr'"),
    "merge key": ("net: {<<: {width: 3}, depth: 2}\n", "merge keys"),
    "non-text key": ("1: 2\n", "keys are text"),
    "top-level list": ("- steps\n", "a mapping of keys to values"),
    "syntax": ("steps: [1, 2\n", "invalid YAML"),
    "tab": ("steps:\n\t- 1\n", "invalid YAML"),
    "control character": ("steps: 3\x07\n", "unacceptable character"),
    "deep nesting": ("quick: " + "[" * 300 + "]" * 300 + "\n", "nested more than"),
    "huge integer": ("seed: " + "9" * 5000 + "\n", "invalid YAML"),
    "python tag": ("steps: !!python/object/apply:os.system [ls]\n", "invalid YAML"),
}


@pytest.mark.parametrize("text,match", FILES.values(), ids=FILES.keys())
def test_hostile_files(tmp_path, capsys, text, match):
    line = _refused(tmp_path, capsys, config_text=text, match=match)
    assert "bad.yaml" in line


def test_alias_bomb_is_refused_at_once(tmp_path, capsys):
    assert len(_bomb()) < 700
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb())
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=r"bomb\.yaml:2: YAML anchors"):
        read_yaml(path)
    assert time.perf_counter() - t0 < 0.5
    t0 = time.perf_counter()
    _refused(tmp_path, capsys, config_text=_bomb())
    assert time.perf_counter() - t0 < 5  # the problem's lowering included


@pytest.mark.parametrize(
    "data,match",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", "binary file"),
        ("steps: 5  # caf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("steps: 5\n".encode("utf-16"), "binary file"),
        (b"# " + b"x" * MAX_BYTES + b"\n", "byte limit"),
    ],
    ids=["binary", "latin-1", "utf-16", "over-size"],
)
def test_unreadable_files(tmp_path, capsys, data, match):
    _refused(tmp_path, capsys, config_bytes=data, match=match)


def test_control_characters_stay_on_one_line(tmp_path, capsys):
    line = _refused(tmp_path, capsys, config_text='"st\\neps\\e[2J": 5\n', match="unknown")
    assert "\x1b" not in line
    path = tmp_path / "bad\nname\x1b[31m.yaml"
    path.write_text("steps: [\n")
    line = _refused(tmp_path, capsys, "--config", str(path), match="invalid YAML")
    assert "\x1b" not in line


def test_missing_file_and_directory(tmp_path, capsys):
    _refused(tmp_path, capsys, "--config", str(tmp_path / "nope.yaml"), match="cannot read")
    _refused(tmp_path, capsys, "--config", str(tmp_path), match="cannot read")


# --- keys -------------------------------------------------------------------------------
KEYS = {
    "resample_every -1": ("sampling: {resample_every: -1}", "sampling.resample_every"),
    "balance every 0": ("balance: {every: 0}", "balance.every"),
    "balance alpha 1.5": ("balance: {alpha: 1.5}", "balance.alpha"),
    "decay_steps 0": ("optimizer: {decay_steps: 0}", "optimizer.decay_steps"),
    "decay_rate 0": ("optimizer: {decay_rate: 0}", "optimizer.decay_rate"),
    "warmup -1": ("optimizer: {warmup_steps: -1}", "optimizer.warmup_steps"),
    "lr nan": ("optimizer: {lr: .nan}", "optimizer.lr"),
    "lr inf": ("optimizer: {lr: .inf}", "optimizer.lr"),
    "lr overflow": ("optimizer: {lr: 1e400}", "optimizer.lr"),
    "lr negative": ("optimizer: {lr: -1.0e-3}", "optimizer.lr"),
    "lr zero": ("optimizer: {lr: 0}", "optimizer.lr"),
    "lr text": ("optimizer: {lr: fast}", "optimizer.lr"),
    "option nan": ("optimizer: {options: {eps: .nan}}", "optimizer.options.eps"),
    "init 5": ("init: 5", "init"),
    "init list": ("init: [a]", "init"),
    "seed -1": ("seed: -1", "seed"),
    "seed bool": ("seed: true", "seed"),
    "seed date": ("seed: 2024-01-01", "seed"),
    "steps float": ("steps: 1.5", "steps"),
    "steps text": ("steps: '5'", "steps"),
    "steps -1": ("steps: -1", "steps"),
    "log_every -1": ("log_every: -1", "log_every"),
    "checkpoint_every -1": ("checkpoint_every: -1", "checkpoint_every"),
    "eval every -1": ("eval: {every: -1}", "eval.every"),
    "eval grid 1": ("eval: {grid: 1}", "eval.grid"),
    "time limit inf": ("time_limit_s: .inf", "time_limit_s"),
    "time limit -1": ("time_limit_s: -1", "time_limit_s"),
    "interior 0": ("sampling: {interior: 0}", "sampling.interior"),
    "boundary float": ("sampling: {boundary: 2.5}", "sampling.boundary"),
    "per_term 0": ("sampling: {per_term: {ends: 0}}", "sampling.per_term.ends"),
    "cluster nan": (
        "sampling: {cluster: [{faces: [left], fraction: .nan, width: 1}]}",
        "sampling.cluster[0].fraction",
    ),
    "cluster not a list": ("sampling: {cluster: 5}", "sampling.cluster"),
    "method": ("sampling: {method: random}", "sampling.method"),
    "yes is not a bool": ("normalize_inputs: yes", "normalize_inputs"),
    "text is not a bool": ("normalize_inputs: 'true'", "normalize_inputs"),
    "ensemble": ("ensemble: maybe", "ensemble"),
    "dtype": ("dtype: float16", "dtype"),
    "device": ("device: 'cuda:x'", "device"),
    "threads": ("threads: 100000", "threads"),
    "width 0": ("net: {width: 0}", "net.width"),
    "sigma inf": ("net: {fourier_sigma: .inf}", "net.fourier_sigma"),
    "init scale 2": ("net: {output_init_scale: 2}", "net.output_init_scale"),
    "nets not a mapping": ("nets: {u: 5}", "nets.u"),
    "nets depth 0": ("nets: {u: {depth: 0}}", "nets.u.depth"),
    "param nan": ("params: {gamma: .nan}", "params.gamma"),
    "param text": ("params: {gamma: big}", "params.gamma"),
    "outputs list": ("outputs: {u: [1]}", "outputs.u"),
    "reference grid": ("reference: {grid: big}", "reference.grid"),
    "quick not a mapping": ("quick: 5", "quick"),
    "quick typo": ("quick: {stepz: 5}", "quick"),
    "unknown key": ("stesp: 5", "did you mean 'steps'"),
    "section not a mapping": ("optimizer: 5", "optimizer"),
}


@pytest.mark.parametrize("text,match", KEYS.values(), ids=KEYS.keys())
def test_hostile_keys(tmp_path, capsys, text, match):
    # --steps on the command line would win over a bad `steps:` in the file
    steps = None if text.startswith("steps") else "5"
    _refused(tmp_path, capsys, config_text=text + "\n", match=match, steps=steps)


def _write(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text + "\n")
    return path


@pytest.mark.parametrize(
    "text,match",
    [
        ("net: {width: 100000}", "net.width=100000"),
        ("net: {width: 1e5}", "net.width=100000"),
        ("nets: {v: {width: 100000}}", "nets.v.width=100000"),
        ("sampling: {interior: 1000000000000}", "points per step"),
        ("eval: {grid: 1e10}", "evaluation grid"),
        ("reference: {solver: eof, grid: 100000x100000}", "reference grid"),
    ],
)
def test_memory_estimates_refuse_the_absurd(tmp_path, capsys, text, match):
    line = _refused(tmp_path, capsys, config_text=text + "\n", match=match)
    assert "would need at least" in line and "this machine has" in line


# --- options ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options,match",
    [
        (["--seed", "-1"], "--seed"),
        (["--seed", "1.5"], "--seed"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "inf"], "--lr"),
        (["--lr", "-1"], "--lr"),
        (["--lr", "0"], "--lr"),
        (["--steps", "-5"], "--steps"),
        (["--threads", "-1"], "--threads"),
        (["--set", "gamma=.inf"], "--set gamma"),
        (["--set", "gamma=.nan"], "--set gamma"),
        (["--set", "gamma=yes"], "--set gamma"),
        (["--set", "net.width=100000"], "net.width=100000"),
        (["--set", "seed=-1"], "seed"),
        (["--set", "optimizer.lr=.nan"], "optimizer.lr"),
        (["--set", "balance.every=0"], "balance.every"),
        (["--set", "normalize_inputs=yes"], "normalize_inputs"),
        (["--set", "init=5"], "init"),
        (["--set", "steps=*x"], "aliases"),
        (["--set", "=3"], "NAME=VALUE"),
    ],
)
def test_hostile_options(tmp_path, capsys, options, match):
    _refused(tmp_path, capsys, *options, match=match)


def test_ntk_check_refuses_a_jacobian_beyond_memory(capsys, monkeypatch):
    monkeypatch.setattr(config, "available_bytes", lambda: 1 << 30)  # 1 GiB, any machine
    assert main(["ntk-check", "coupled_sym", "--points", "200000"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ntk-check:"), lines
    assert "TiB" in lines[0] and "fewer --points" in lines[0]
    for argv in (["--points", "0"], ["--chunk", "0"], ["--seed", "-1"]):
        assert main(["ntk-check", "coupled_sym", *argv]) == 2
        assert len(capsys.readouterr().err.splitlines()) == 1


def test_ntk_memory_estimate_of_the_defaults_is_small():
    from mpinn import train
    from mpinn.analysis.ntk import memory_estimate
    from mpinn.lower import load

    problem = load(PROBLEM)
    setup = train.build(problem, config.resolve(PROBLEM, problem=problem))
    est = memory_estimate(setup)
    assert est["rows"] == 2 * 256 and est["points"] == 256
    assert est["bytes"] < 1 << 30  # measured: 0.28 GB used
    big = memory_estimate(setup, include_conditions=True)
    assert big["rows"] > est["rows"]


# --- the reader on its own --------------------------------------------------------------
def test_read_yaml_accepts_a_bom_and_an_empty_file(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfsteps: 3\noptimizer: {lr: 1.0e-3}\n")
    assert read_yaml(path) == {"steps": 3, "optimizer": {"lr": 1e-3}}
    assert config.resolve(PROBLEM, path).steps == 3
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert read_yaml(tmp_path / "empty.yaml") == {}


def test_read_yaml_scalars_are_yaml_1_2(tmp_path):
    path = _write(tmp_path, "a: on\nb: yes\nc: true\nd: 1e3\ne: 5e-4\nf: 160x96\ng: null")
    assert read_yaml(path) == {
        "a": "on",
        "b": "yes",
        "c": True,
        "d": 1000.0,
        "e": 5e-4,
        "f": "160x96",
        "g": None,
    }
    assert config.resolve(PROBLEM, None, {"ensemble": "on", "steps": 1e3}).steps == 1000


def test_read_yaml_messages_name_file_and_line(tmp_path):
    path = _write(tmp_path, "steps: 5\nnet:\n  width: 8\n  width: 9")
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    msg = str(info.value)
    assert msg == f"{path}:4: duplicate key 'width' (first given on line 3)"
    with pytest.raises(ConfigError, match=r"bad\.yaml:2: invalid YAML"):
        read_yaml(_write(tmp_path, "steps: 5\n  seed: [1"))


def test_saved_config_round_trips_through_both_readers(tmp_path):
    cfg = config.resolve(PROBLEM, None, {"ensemble": "on", "init": "1e3"})
    config.save(cfg, tmp_path / "config.yaml")
    text = (tmp_path / "config.yaml").read_text()
    assert "&" not in text and "*" not in text
    assert read_yaml(tmp_path / "config.yaml") == cfg.to_dict()
    assert yaml.safe_load(text) == cfg.to_dict()  # YAML 1.1 readers see the same values


def test_parse_scalar():
    assert config.parse_scalar("3") == 3 and config.parse_scalar("1e-3") == 1e-3
    assert config.parse_scalar("yes") == "yes" and config.parse_scalar("[1, 2") == "[1, 2"
    with pytest.raises(ConfigError, match="aliases"):
        config.parse_scalar("*a")
