"""The degradation table (L2 against the first swept parameter, per optimizer), its CSV
and terminal rendering, and the sweep's plots."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from ...viz.sweep import plot_l2
from .plan import definition_of
from .spec import fmt_value
from .store import flat_row, read_rows, write_csv


def _median(xs):
    return statistics.median(xs) if xs else None


def degradation(rows: list, param_names: list) -> list:
    """The degradation table: one dict per optimizer (and combination of the other params).

    For every value v of the first swept parameter: ``l2@<p>=<v>`` the median of the mean
    L2 over seeds, ``l2_min@...`` / ``l2_max@...`` its spread; ``R`` = median L2 at the
    largest value / median L2 at the smallest; ``R_min`` / ``R_max`` the spread of the
    per-seed ratios. Runs that failed (no L2) are left out; ``runs`` counts those used.
    """
    if not param_names:
        return []
    first, others = param_names[0], param_names[1:]
    values = sorted({r[first] for r in rows if r.get(first) is not None})
    groups: dict = {}
    for r in rows:
        key = (r["optimizer"],) + tuple(r.get(p) for p in others)
        groups.setdefault(key, []).append(r)
    table = []
    for key, group in groups.items():
        entry = {"optimizer": key[0], **dict(zip(others, key[1:]))}
        used = [r for r in group if r.get("l2_mean") is not None]
        by_value = {v: {r["seed"]: r["l2_mean"] for r in used if r[first] == v} for v in values}
        for v in values:
            xs = list(by_value[v].values())
            tag = f"{first}={fmt_value(v)}"
            entry[f"l2@{tag}"] = _median(xs)
            entry[f"l2_min@{tag}"] = min(xs) if xs else None
            entry[f"l2_max@{tag}"] = max(xs) if xs else None
        lo, hi = (by_value[values[0]], by_value[values[-1]]) if values else ({}, {})
        med_lo, med_hi = _median(list(lo.values())), _median(list(hi.values()))
        entry["R"] = med_hi / med_lo if med_lo and med_hi is not None else None
        ratios = [hi[s] / lo[s] for s in hi if s in lo and lo[s]]
        entry["R_min"] = min(ratios) if ratios else None
        entry["R_max"] = max(ratios) if ratios else None
        entry["runs"] = len(used)
        entry["runs_failed"] = len(group) - len(used)
        table.append(entry)
    return table


def write_degradation(out: Path, table: list) -> Path:
    path = Path(out) / "degradation.csv"
    cols: list = []
    for e in table:
        cols += [c for c in e if c not in cols]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols or ["optimizer"])
        writer.writeheader()
        for e in table:
            writer.writerow({c: "" if e.get(c) is None else e.get(c) for c in cols})
    return path


def print_degradation(table: list, param_names: list, console=None) -> None:
    """The degradation table with rich: median [min–max] L2 per value, and R."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if not table:
        return
    first, others = param_names[0], param_names[1:]
    tags = [c[3:] for c in table[0] if c.startswith("l2@")]
    t = Table(
        title=f"L2 (mean over fields) vs {first}: median [min–max] over seeds; "
        f"R = L2(largest {first}) / L2(smallest)"
    )
    t.add_column("optimizer")
    for p in others:
        t.add_column(p, justify="right")
    for tag in tags:
        t.add_column(tag, justify="right")
    t.add_column("R", justify="right")

    def g(x):
        return "—" if x is None else f"{x:.2e}"

    for e in table:
        cells = [e["optimizer"]] + [fmt_value(e[p]) if e[p] is not None else "—" for p in others]
        for tag in tags:
            med, lo, hi = e[f"l2@{tag}"], e[f"l2_min@{tag}"], e[f"l2_max@{tag}"]
            cells.append(g(med) if med is None or lo == hi else f"{g(med)} [{g(lo)}–{g(hi)}]")
        r = "—" if e["R"] is None else f"{e['R']:.3g}"
        if e["R_min"] is not None and e["R_min"] != e["R_max"]:
            r += f" [{e['R_min']:.3g}–{e['R_max']:.3g}]"
        cells.append(r)
        t.add_row(*cells)
    console.print(t)


def write_results(out, rows: list, param_names: list, problem_name: str = "") -> list:
    """sweep.csv, degradation.csv and the plots; returns the degradation table."""
    out = Path(out)
    write_csv(out, rows, param_names)
    table = degradation([flat_row(r) for r in rows], param_names)
    write_degradation(out, table)
    plot_sweep(out, title=problem_name)
    return table


def plot_sweep(sweep_dir, title: str = "") -> list:
    """(Re)draw ``plots/l2_vs_<param>.png`` from sweep.csv; returns the written paths."""
    sweep_dir = Path(sweep_dir)
    rows, params = read_rows(sweep_dir)
    if not title:
        title = (definition_of(sweep_dir) or {}).get("problem", "")
    return plot_l2(rows, params, sweep_dir / "plots", title)
