"""``mpinn export`` (VTU / PVD for ParaView) and ``mpinn report`` (one HTML page), on tiny
real runs: 1D (line cells), 2D (quads), 1D + time (a .pvd time series)."""

import base64
import json
import re
import shutil
import xml.etree.ElementTree as ET

import meshio
import numpy as np
import pytest

from mpinn.cli import main
from mpinn.runs.export import export_vtu, structured_mesh
from mpinn.viz.report import render_report

TINY = ["--threads", "1", "--quiet", "--set", "net.width=8", "--set", "net.depth=1"]

POISSON2D = """problem poisson2 "A small 2D Poisson problem"
domain (x, y) in [0, 1] x [0, 2]
field u
exact u = sin(pi*x)*sin(pi*y/2)
pde eq: -lap(u) = manufactured
bc edges on all: u = exact
"""

HEAT = """problem heat
domain x in [0, 1]
time t in [0, 0.2]
field u
exact u = exp(-pi^2*t)*sin(pi*x)
pde diffusion: dt(u) = dxx(u)
bc ends on all: u = 0
ic start on t = 0: u = exact
"""

HOSTILE = """problem evil "<script>alert('x')</script> & co"
domain x in [0, 1]
field u
exact u = x*(1 - x)
pde eq: -dxx(u) = manufactured
bc ends on all: u = 0
"""


def _solve(tmp_path_factory, name, problem, *extra):
    root = tmp_path_factory.mktemp(name)
    if problem.endswith("\n"):  # a problem text
        path = root / f"{name}.mp"
        path.write_text(problem)
        problem = str(path)
    out = root / "run"
    assert main(["solve", problem, "--out", str(out), *TINY, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def run1d(tmp_path_factory):
    return _solve(tmp_path_factory, "sym", "coupled_sym", "--steps", "20")


@pytest.fixture(scope="module")
def run2d(tmp_path_factory):
    return _solve(tmp_path_factory, "p2", POISSON2D, "--steps", "5", "--set", "eval.grid=17")


@pytest.fixture(scope="module")
def run_heat(tmp_path_factory):
    return _solve(tmp_path_factory, "heat", HEAT, "--steps", "5", "--set", "eval.grid=33")


def _fields(run):
    with np.load(run / "fields.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _check_arrays(mesh, fields, names, index=...):
    """Point data equals fields.npz: prediction, exact value and error of each field."""
    for f in names:
        pred, exact = fields[f"pred_{f}"][index], fields[f"exact_{f}"][index]
        assert np.allclose(mesh.point_data[f], pred.reshape(-1))
        assert np.allclose(mesh.point_data[f"{f}_exact"], exact.reshape(-1))
        assert np.allclose(mesh.point_data[f"{f}_error"], (pred - exact).reshape(-1))


def test_export_1d_lines(run1d, capsys):
    assert main(["export", str(run1d)]) == 0
    out = run1d / "export" / "fields.vtu"
    assert capsys.readouterr().out.strip() == str(out)
    mesh = meshio.read(out)
    fields = _fields(run1d)
    x = fields["axis_x"]
    assert mesh.points.shape == (len(x), 3)
    assert np.allclose(mesh.points[:, 0], x) and not mesh.points[:, 1:].any()
    (cells,) = mesh.cells
    assert cells.type == "line" and cells.data.shape == (len(x) - 1, 2)
    assert (np.diff(mesh.points[cells.data, 0], axis=1) > 0).all()  # neighbours, in order
    _check_arrays(mesh, fields, ["u", "v"])
    assert set(mesh.point_data) == {"u", "u_exact", "u_error", "v", "v_exact", "v_error"}


def test_export_2d_quads_and_output_name(run2d, tmp_path):
    paths = export_vtu(run2d, tmp_path / "sub" / "mine")  # suffix added, folder created
    assert paths == [tmp_path / "sub" / "mine.vtu"]
    mesh = meshio.read(paths[0])
    fields = _fields(run2d)
    assert mesh.points.shape == (17 * 17, 3)
    (cells,) = mesh.cells
    assert cells.type == "quad" and cells.data.shape == (16 * 16, 4)
    # counter-clockwise corners (VTK's order): every cell has positive signed area 1/16 * 2/16
    p = mesh.points[cells.data][:, :, :2]
    area = 0.5 * sum(
        p[:, i, 0] * p[:, (i + 1) % 4, 1] - p[:, (i + 1) % 4, 0] * p[:, i, 1] for i in range(4)
    )
    assert np.allclose(area, 2 / 256)
    _check_arrays(mesh, fields, ["u"])
    assert not [f.name for f in tmp_path.rglob("*") if f.name.startswith(".")]  # no temp left


def test_structured_mesh_hexahedra_have_positive_volume():
    axes = [np.linspace(0, 1, 3), np.linspace(0, 2, 4), np.linspace(0, 3, 2)]
    points, kind, cells = structured_mesh(axes)
    assert kind == "hexahedron" and points.shape == (24, 3) and cells.shape == (6, 8)
    c = points[cells]
    # bottom face counter-clockwise seen from above, top face above it: a positive Jacobian
    jac = np.linalg.det(np.stack([c[:, 1] - c[:, 0], c[:, 3] - c[:, 0], c[:, 4] - c[:, 0]], 1))
    assert np.allclose(jac, 0.5 * (2 / 3) * 3)
    assert np.allclose(points[cells].mean(axis=1).min(axis=0), [0.25, 1 / 3, 1.5])


def test_export_time_series(run_heat):
    paths = export_vtu(run_heat)
    pvd = run_heat / "export" / "fields.pvd"
    fields = _fields(run_heat)
    times = fields["axis_t"]
    assert paths[0] == pvd and len(paths) == 1 + len(times) == 22
    entries = ET.parse(pvd).getroot().find("Collection").findall("DataSet")
    assert [float(e.get("timestep")) for e in entries] == list(times)
    assert [e.get("file") for e in entries] == [p.name for p in paths[1:]]
    for k in (0, 7, len(times) - 1):
        mesh = meshio.read(run_heat / "export" / entries[k].get("file"))
        assert mesh.points.shape == (33, 3) and mesh.cells[0].type == "line"
        _check_arrays(mesh, fields, ["u"], (..., k))
    assert main(["export", str(run_heat), "-o", str(run_heat / "x.vtu")]) == 2  # needs .pvd


def test_report_is_self_contained(run2d, capsys):
    assert main(["report", str(run2d)]) == 0
    page = (run2d / "report.html").read_text()
    metrics = json.loads((run2d / "metrics.json").read_text())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "poisson2" in page and "A small 2D Poisson problem" in page
    assert f"{metrics['l2']['u']:.3e}" in page and "finished" in page
    assert "pde eq: -lap(u) = manufactured" in page and "width: 8" in page  # problem, config
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    pngs = sorted(p.name for p in (run2d / "plots").glob("*.png"))
    assert len(images) == len(pngs) >= 2
    assert base64.b64decode(images[0]) == (run2d / "plots" / "loss.png").read_bytes()
    assert 'src="http' not in page and "<script" not in page


def test_report_on_a_staging_directory(run2d, tmp_path):
    """The results commit stages only the new files; the inputs come from ``inputs=``."""
    stage = tmp_path / ".pending"
    (stage / "plots").mkdir(parents=True)
    shutil.copy(run2d / "metrics.json", stage)
    for png in (run2d / "plots").glob("*.png"):
        shutil.copy(png, stage / "plots")
    alone = render_report(stage)
    assert "no problem.mp" in alone and "-lap(u)" not in alone and "data:image/png" in alone
    page = render_report(stage, inputs=run2d)
    assert "A small 2D Poisson problem" in page and "-lap(u)" in page and "width: 8" in page


def test_report_escapes_hostile_text(tmp_path_factory, tmp_path):
    run = _solve(tmp_path_factory, "evil", HOSTILE, "--steps", "2", "--set", "eval.grid=9")
    page = render_report(run)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    # only files under the directory: a plot linked from elsewhere is left out
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\nSECRET")
    (run / "plots" / "zz.png").symlink_to(outside)
    page = render_report(run)
    assert base64.b64encode(outside.read_bytes()).decode() not in page
    assert "zz.png points outside the run directory" in page


def test_errors_exit_2_with_one_line(tmp_path, run1d, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.yaml").write_text("steps: 1\n")
    cases = [
        (["export", str(tmp_path / "missing")], "no such run directory"),
        (["export", str(tmp_path / "empty")], "not a run directory"),
        (["export", str(tmp_path / "half")], "no fields.npz"),  # a run without results yet
        (["export", str(run1d), "--format", "vtk"], "invalid choice"),
        (["export", str(run1d), "-o", str(tmp_path / "x.pvd")], "*.vtu"),  # steady: .vtu
        (["report", str(tmp_path / "missing")], "no such run directory"),
        (["report", str(tmp_path / "empty")], "not a run directory"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, (argv, err)
        assert words in err, (argv, err)
