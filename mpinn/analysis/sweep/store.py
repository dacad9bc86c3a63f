"""A sweep's rows on disk: the status of a run directory, one row per run, and
``sweep.csv`` (written atomically, read back with numbers as numbers)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .spec import FIXED, HEAD, TAIL


def final_loss(metrics: dict):
    values = list((metrics.get("final_losses") or {}).values())
    if not values or any(v is None for v in values):
        return None
    return float(sum(values))


def make_row(task: dict, metrics: dict | None, error: str = "", wall: float | None = None) -> dict:
    row = {
        "run_dir": task["name"],
        **task["params"],
        "optimizer": task["optimizer"],
        "seed": task["seed"],
    }
    if metrics is None:
        row.update(
            steps=task["cfg"].steps if task.get("cfg") is not None else None,
            status="failed" if error else "pending",
            wall_time_s=wall,
            l2_mean=None,
            l2={},
            final_loss=None,
            error=error,
        )
        return row
    stopped = metrics.get("stopped")
    row.update(
        steps=metrics.get("steps"),
        status="stopped" if stopped else "ok",
        wall_time_s=metrics.get("wall_time_s"),
        l2_mean=metrics.get("l2_mean"),
        l2=dict(metrics.get("l2") or {}),
        final_loss=final_loss(metrics),
        error=stopped or "",
    )
    return row


def run_status(run_dir: Path) -> tuple:
    """(status, metrics or None, error text) of a run directory on disk."""
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metrics = None
    if metrics is not None:
        stopped = metrics.get("stopped") or ""
        if metrics.get("status") == "interrupted":
            return "pending", None, ""  # resumed by the next run of the sweep
        return ("stopped" if stopped else "ok"), metrics, stopped
    err = run_dir / "error.txt"
    if err.is_file():
        lines = [ln for ln in err.read_text(encoding="utf-8").strip().splitlines() if ln]
        return "failed", None, lines[-1] if lines else "failed"
    return "pending", None, ""


# --- results ------------------------------------------------------------------------------
def flat_row(row: dict) -> dict:
    """A row with per-field L2 as ``l2[field]`` keys (as in sweep.csv)."""
    out = {k: v for k, v in row.items() if k != "l2"}
    tail = {k: out.pop(k) for k in TAIL}
    out.update({f"l2[{f}]": v for f, v in row.get("l2", {}).items()})
    out.update(tail)
    return out


def write_csv(out: Path, rows: list, param_names: list) -> Path:
    fields: list = []
    for r in rows:
        fields += [f for f in r.get("l2", {}) if f not in fields]
    cols = list(HEAD) + param_names + list(FIXED) + [f"l2[{f}]" for f in fields] + list(TAIL)
    path = out / "sweep.csv"
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            flat = flat_row(r)
            writer.writerow({c: "" if flat.get(c) is None else flat.get(c) for c in cols})
    tmp.replace(path)
    return path


def _num(text: str):
    if text in ("", None):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def read_rows(sweep_dir) -> tuple:
    """(rows, swept parameter names) from a sweep directory's sweep.csv.

    Numbers come back as floats (seed and steps as ints), empty cells as None.
    """
    with open(Path(sweep_dir) / "sweep.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        raw = list(reader)
    params = cols[len(HEAD) : cols.index("optimizer")] if "optimizer" in cols else []
    rows = []
    for r in raw:
        row = dict(r)
        for c in cols:
            if c in params or c in ("wall_time_s", "l2_mean", "final_loss") or c.startswith("l2["):
                row[c] = _num(r[c])
            elif c in ("seed", "steps"):
                row[c] = int(r[c]) if r[c] not in ("", None) else None
        rows.append(row)
    return rows, params
