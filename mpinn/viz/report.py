"""A run's report: one self-contained HTML page (``mpinn report``, ``report.html``).

:func:`render_report` reads only files under the directory it is given — ``metrics.json``,
``problem.mp``, ``config.yaml`` and ``plots/*.png`` — so it works on a run directory as
well as on the staging directory of a commit that holds the run's new files (with
``inputs=`` the run directory, for the problem and configuration written earlier). Missing or
unreadable files leave their section out (with a note) rather than failing. The plots are
embedded as base64 ``data:`` URIs, so the page still shows them when moved or mailed.

Everything taken from the files is HTML-escaped, and the page carries a
Content-Security-Policy that allows no script, no external resource and only ``data:``
images: a hostile problem title or configuration value shows as text.
"""

from __future__ import annotations

import base64
import json
import re
from html import escape
from pathlib import Path

#: Larger files are left out of the page (a note says so).
MAX_TEXT = 1_000_000
MAX_IMAGE = 20_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TITLE = re.compile(r'^[ \t]*problem[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]+"([^"\n\\]*)")?', re.M)
_STATUS_CLASS = {
    "finished": "ok",
    "interrupted": "warn",
    "time_limited": "warn",
    "diverged": "bad",
    "stopped": "bad",
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #555; margin-top: 0; font-size: 1.15em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 0.8em; overflow-x: auto;
      font-size: 0.9em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
.status { font-weight: bold; padding: 0.1em 0.5em; border-radius: 0.3em; }
.ok { background: #d9f2dd; } .warn { background: #fdf0c8; } .bad { background: #f8d4d4; }
.note { color: #777; font-style: italic; }
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _read(root: Path, name: str, limit: int) -> tuple:
    """``(bytes or None, note or None)`` of ``root/name`` if it is a regular file inside
    ``root`` (no symlink out of it) and not larger than ``limit``."""
    path = root / name
    try:
        if not path.is_file():
            return None, None
        if not path.resolve().is_relative_to(root.resolve()):
            return None, f"{name} points outside the run directory; left out"
        if path.stat().st_size > limit:
            return None, f"{name} is larger than {limit} bytes; left out"
        return path.read_bytes(), None
    except OSError as exc:
        return None, f"{name}: unreadable ({exc.strerror or exc})"


def _text(root: Path, name: str) -> tuple:
    data, note = _read(root, name, MAX_TEXT)
    return (data.decode("utf-8", errors="replace") if data is not None else None), note


def _metrics(root: Path) -> tuple:
    text, note = _text(root, "metrics.json")
    if text is None:
        return {}, note
    try:
        data = json.loads(text)
    except ValueError as exc:
        return {}, f"metrics.json: not valid JSON ({exc})"
    return (data, None) if isinstance(data, dict) else ({}, "metrics.json: not an object")


def problem_title(source: str | None, metrics: dict) -> tuple:
    """``(name, title or None)`` from the ``problem NAME "title"`` line of the problem
    file, else the name in metrics.json."""
    match = _TITLE.search(source or "")
    if match:
        return match.group(1), match.group(2)
    return str(metrics.get("problem") or "run"), None


def _fmt(value, spec: str = ".3e") -> str:
    """A metric value as escaped text: numbers formatted, None/NaN as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return escape(str(value).lower())
    if isinstance(value, float):
        return format(value, spec) if value == value else "—"
    if isinstance(value, int):
        return escape(str(value))
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, default=str))
    return escape(str(value))


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _table(header: tuple | None, rows: list) -> str:
    """Rows of already-escaped cells; a cell ``(text, True)`` is right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header or ())
    head = f"<thead><tr>{head}</tr></thead>" if head else ""
    body = ""
    for row in rows:
        cells = "".join(
            f'<td class="num">{c[0]}</td>' if isinstance(c, tuple) else f"<td>{c}</td>" for c in row
        )
        body += f"<tr>{cells}</tr>\n"
    return f"<table>{head}<tbody>\n{body}</tbody></table>\n"


def _wall_time(seconds) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return _fmt(seconds)
    if seconds >= 120:
        return f"{seconds:.1f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.2f} s"


def metrics_section(m: dict) -> str:
    """The summary table, per-field L2 errors and final losses of metrics.json."""
    status = str(m.get("status", "—"))
    badge = f'<span class="status {_STATUS_CLASS.get(status, "")}">{escape(status)}</span>'
    steps = _fmt(m.get("steps_done", m.get("steps")))
    if "steps" in m and m.get("steps_done") not in (None, m.get("steps")):
        steps += f" of {_fmt(m.get('steps'))}"
    params = ", ".join(
        f"{escape(str(k))} = {_fmt(v, 'g')}" for k, v in _dict(m.get("params")).items()
    )
    optimizer = _fmt(m.get("optimizer"))
    if m.get("lr") is not None:
        optimizer += f" (lr {_fmt(m.get('lr'), 'g')})"
    versions = ", ".join(f"{escape(str(k))} {_fmt(v)}" for k, v in _dict(m.get("versions")).items())
    summary = [
        ("status", badge),
        ("problem", _fmt(m.get("problem"))),
        ("steps", steps),
        ("model step", _fmt(m.get("model_step"))),
        ("wall time", _wall_time(m.get("wall_time_s"))),
        ("parameters", params or "—"),
        ("optimizer", optimizer),
        ("balance", _fmt(m.get("balance"))),
        ("seed", _fmt(m.get("seed"))),
        ("dtype, device", f"{_fmt(m.get('dtype'))}, {_fmt(m.get('device'))}"),
        ("mean L2 (relative)", (_fmt(m.get("l2_mean")), True)),
        ("versions", versions or "—"),
    ]
    if m.get("stopped"):  # why a run stopped early (diverged, a stop rule)
        summary.insert(1, ("stopped", _fmt(m.get("stopped"))))
    out = _table(None, [(f"<b>{escape(k)}</b>", v) for k, v in summary])
    kinds = _dict(m.get("l2_kind"))
    l2 = _dict(m.get("l2"))
    if l2:
        rows = [
            (escape(str(f)), (_fmt(v), True), _fmt(kinds.get(f, "relative"))) for f, v in l2.items()
        ]
        out += "<h3>Error per field</h3>\n" + _table(("field", "L2 error", "kind"), rows)
    losses, weights = _dict(m.get("final_losses")), _dict(m.get("final_weights"))
    if losses:
        rows = [
            (escape(str(t)), (_fmt(v), True), (_fmt(weights.get(t), ".3g"), True))
            for t, v in losses.items()
        ]
        out += "<h3>Final losses</h3>\n" + _table(("term", "mean squared residual", "weight"), rows)
    return out


def plots_section(root: Path) -> tuple:
    """``(html, notes)``: every ``plots/*.png`` as an embedded image, the loss first."""
    folder = root / "plots"
    names = sorted(p.name for p in folder.glob("*.png")) if folder.is_dir() else []
    names.sort(key=lambda n: n != "loss.png")
    out, notes = "", []
    for name in names:
        data, note = _read(root, f"plots/{name}", MAX_IMAGE)
        if note:
            notes.append(note)
        if data is None:
            continue
        if not data.startswith(PNG_MAGIC):
            notes.append(f"plots/{name} is not a PNG image; left out")
            continue
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out += (
            f'<figure><img src="{uri}" alt="{escape(name)}">'
            f"<figcaption>{escape(name)}</figcaption></figure>\n"
        )
    return out, notes


def _input(root: Path, inputs: Path | None, name: str) -> tuple:
    """``name`` from ``root``, else from ``inputs`` (if given)."""
    if inputs is not None and not (root / name).exists():
        return _text(inputs, name)
    return _text(root, name)


def render_report(run_dir: str | Path, inputs: str | Path | None = None) -> str:
    """The HTML report of the run whose files are in ``run_dir`` (see the module text).

    ``inputs``: where to read ``problem.mp`` and ``config.yaml`` when ``run_dir`` lacks
    them — the run directory, when ``run_dir`` is the staging directory of a results
    commit that holds only the new files (metrics, fields, plots). Nothing outside these
    two directories is read.
    """
    root = Path(run_dir)
    extra = Path(inputs) if inputs is not None else None
    metrics, metrics_note = _metrics(root)
    source, source_note = _input(root, extra, "problem.mp")
    config, config_note = _input(root, extra, "config.yaml")
    name, title = problem_title(source, metrics)
    plots, plot_notes = plots_section(root)
    notes = [n for n in (metrics_note, source_note, config_note, *plot_notes) if n]

    heading = escape(name) + (f" — {escape(title)}" if title else "")
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>mpinn run: {heading}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<h1>{escape(name)}</h1>\n",
        f'<p class="subtitle">{escape(title)}</p>\n' if title else "",
        "<h2>Results</h2>\n",
        metrics_section(metrics) if metrics else '<p class="note">no metrics.json (yet)</p>\n',
        "<h2>Plots</h2>\n",
        plots or '<p class="note">no plots</p>\n',
        "<h2>Problem</h2>\n",
        f"<pre>{escape(source)}</pre>\n"
        if source is not None
        else '<p class="note">no problem.mp</p>\n',
        "<h2>Configuration</h2>\n",
        f"<pre>{escape(config)}</pre>\n"
        if config is not None
        else '<p class="note">no config.yaml</p>\n',
    ]
    if notes:
        parts.append("<h2>Notes</h2>\n<ul>\n")
        parts += [f"<li>{escape(n)}</li>\n" for n in notes]
        parts.append("</ul>\n")
    parts.append('<p class="note">Written by mpinn.</p>\n</body>\n</html>\n')
    return "".join(parts)
