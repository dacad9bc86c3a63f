"""Figures of docs/eof.md from finished runs (their fields.npz): heat maps of the six fields
and their errors, and centreline / wall-normal profiles of SOAP+GN and Adam+GN against the
reference.

    python benchmarks/eof_figures.py runs/final/B-eps0.05 --out docs/figures/eof_B_eps0.05

reads RUN-soap/fields.npz and RUN-adam/fields.npz, writes OUT_fields.png (SOAP: PINN and
error per field) and OUT_profiles.png (both optimizers and the reference).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

FIELDS = ("phi", "cp", "cm", "u", "v", "Pi")


def load(path: Path) -> dict:
    with np.load(path / "fields.npz") as data:
        return {k: data[k] for k in data.files}


def heat_maps(run: dict, title: str, out: Path) -> None:
    x, y = run["axis_x"], run["axis_y"]
    fig, axs = plt.subplots(2, len(FIELDS), figsize=(3.1 * len(FIELDS), 5.2))
    for col, f in enumerate(FIELDS):
        pred, ref = run[f"pred_{f}"], run[f"exact_{f}"]
        for row, (data, cmap, label) in enumerate(
            ((pred, "viridis", f), (pred - ref, "RdBu_r", f"{f} error"))
        ):
            ax = axs[row, col]
            lim = np.abs(data).max() if row else None
            im = ax.pcolormesh(
                x, y, data.T, shading="auto", cmap=cmap, vmin=-lim if row else None, vmax=lim
            )
            fig.colorbar(im, ax=ax, fraction=0.05)
            ax.set_title(label, fontsize=10)
            ax.set_xticks([0, 2, 4]), ax.set_yticks([-1, 0, 1])
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def profiles(runs: dict, out: Path) -> None:
    """Centreline y = 0 along x, and across y at x = 2 (mid-patch) near the lower wall."""
    first = next(iter(runs.values()))
    x, y = first["axis_x"], first["axis_y"]
    mid, centre = len(y) // 2, int(np.argmin(np.abs(x - 2.0)))
    fig, axs = plt.subplots(2, len(FIELDS), figsize=(3.1 * len(FIELDS), 5.4))
    for col, f in enumerate(FIELDS):
        ref = first[f"exact_{f}"]
        axs[0, col].plot(x, ref[:, mid], "k--", label="reference")
        axs[1, col].plot(y, ref[centre, :], "k--", label="reference")
        for name, run in runs.items():
            axs[0, col].plot(x, run[f"pred_{f}"][:, mid], label=name)
            axs[1, col].plot(y, run[f"pred_{f}"][centre, :], label=name)
        axs[0, col].set_title(f"{f} at y = 0", fontsize=10), axs[0, col].set_xlabel("x")
        axs[1, col].set_title(f"{f} at x = {x[centre]:.2g}", fontsize=10)
        axs[1, col].set_xlabel("y")
    axs[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", help="run prefix: RUN-soap and RUN-adam are read")
    ap.add_argument("--out", required=True, help="output prefix")
    args = ap.parse_args()
    runs = {
        f"{o.upper() if o == 'soap' else o.capitalize()}+GN": load(Path(f"{args.run}-{o}"))
        for o in ("soap", "adam")
        if (Path(f"{args.run}-{o}") / "fields.npz").is_file()
    }
    if not runs:
        raise SystemExit(f"no fields.npz under {args.run}-soap or {args.run}-adam")
    name = Path(args.run).name
    for label, run in runs.items():
        heat_maps(
            run,
            f"{name}, {label}: PINN (top) and PINN − reference (bottom)",
            Path(f"{args.out}_{label.split('+')[0].lower()}_fields.png"),
        )
    profiles(runs, Path(f"{args.out}_profiles.png"))


if __name__ == "__main__":
    main()
