"""Markdown degradation table of the coupling study (docs/results.md) from the sweeps'
degradation.csv files.

    python benchmarks/study_table.py runs/study/coupled_sym runs/study/coupled_asym ...
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def main(dirs) -> None:
    print(
        "| system | optimizer | L2 γ=1 | γ=3 | γ=10 | γ=30 | γ=100 | R = L2(100)/L2(1) "
        "(per-seed range) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for d in dirs:
        rows = list(csv.DictReader(open(Path(d) / "degradation.csv")))
        for r in rows:
            cells = []
            for g in ("1", "3", "10", "30", "100"):
                cells.append(
                    f"{float(r[f'l2@gamma={g}']):.1e} "
                    f"({float(r[f'l2_min@gamma={g}']):.1e}–"
                    f"{float(r[f'l2_max@gamma={g}']):.1e})"
                )
            print(
                f"| {Path(d).name} | {r['optimizer']}+GN | "
                + " | ".join(cells)
                + f" | **{float(r['R']):.2f}** ({float(r['R_min']):.2f}–{float(r['R_max']):.2f}) |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
