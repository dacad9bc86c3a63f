"""The NTK report as a terminal table and notes (rich)."""

from __future__ import annotations

from .check import NtkReport
from .spectra import EQUALITY_ATOL


def render(report: NtkReport, console) -> None:
    from rich.table import Table

    js = report.to_json()
    title = f"{report.problem}: NTK spectra (S = {report.S} networks, float64)"
    from rich import box

    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 0),
        collapse_padding=True,
    )
    if report.sweep_name:
        table.add_column(report.sweep_name, justify="right")
    for col in (
        "rows",
        "λmax(K)",
        "λmin(K)",
        "λmax(K_P)",
        "S−λmax(K_P)",
        "bound",
        "2/λmax(K)",
        "ranks",
    ):
        table.add_column(col, justify="right", no_wrap=True)
    for r in report.results:
        cells = []
        if report.sweep_name:
            cells.append(f"{r['params'][report.sweep_name]:g}")
        ranks = ",".join(str(n["rank"]) for n in r["networks"].values())
        bound = ("[green]ok[/green]" if r["bound_holds"] else "[red]VIOLATED[/red]") + (
            "=S" if r["equality"] else ""
        )
        cells += [
            str(r["rows"]),
            f"{r['lambda_max_K']:.3e}",
            f"{r['lambda_min_K']:.0e}",
            f"{r['lambda_max_KP']:.9f}",
            f"{r['S_minus_lambda_max_KP']:.0e}",
            bound,
            f"{r['lr_max_K']:.2e}" if r["lr_max_K"] else "—",
            ranks,
        ]
        table.add_row(*cells)
    console.print(table)
    first = report.results[0]
    console.print(
        "networks (ranks column in this order): "
        + ", ".join(
            f"{f} {n['params']} params, J {n['shape'][0]}x{n['shape'][1]}"
            for f, n in first["networks"].items()
        )
        + f"; 2/λmax(K_P) = "
        f"{first['lr_max_KP']:.4f} (≥ 2/S)",
        highlight=False,
    )
    if any(r["K_numerically_singular"] for r in report.results):
        console.print(
            "K is numerically singular (λmin(K) <= rows·eps·λmax): cond(K) = ∞ "
            "in floating point; see the ranks.",
            highlight=False,
        )
    for line in notes(report):
        console.print(line, highlight=False)
    if js["fit_exponent"] is not None:
        used = ", ".join(f"{v:g}" for v in js["fit_values"])
        console.print(
            f"fitted exponent of λmax(K) in {report.sweep_name} (log-log least "
            f"squares over {used}): [bold]{js['fit_exponent']:.3f}[/bold] "
            "(theory: 2 for linear coupling)"
        )


def notes(report: NtkReport) -> list:
    out = []
    first = report.results[0]
    for f, n in first["networks"].items():
        if not n["enough_params"]:
            out.append(
                f"note: network '{f}' has {n['params']} parameters < {first['rows']} "
                "rows: P_{f} has rank <= params, λmax(K_P) = S is not guaranteed; "
                "the value above is what it is."
            )
    deficient = sorted(
        {
            f
            for r in report.results
            for f, n in r["networks"].items()
            if n["enough_params"] and not n["full_row_rank"]
        }
    )
    if deficient:
        ranks = ", ".join(
            f"{f}: rank {first['networks'][f]['rank']} of {first['rows']} rows" for f in deficient
        )
        out.append(
            f"note: numerically rank-deficient Jacobians ({ranks}; "
            "rtol = max(rows, params)·eps·σmax): P_s projects onto a proper subspace, "
            "so λmax(K_P) = S only if the ranges share a direction."
        )
    if not all(r["equality"] for r in report.results):
        out.append(
            "note: λmax(K_P) differs from S by more than "
            f"{EQUALITY_ATOL:g} at some values (see S−λmax(K_P))."
        )
    if not all(r["bound_holds"] for r in report.results):
        out.append("[red]the bound λmax(K_P) <= S is violated — a numerical problem[/red]")
    return out
