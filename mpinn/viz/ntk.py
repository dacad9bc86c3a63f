"""The NTK plot: λmax(K) and λmax(K_P) against a swept parameter, or one spectrum."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figure import new_figure


def plot(report, path) -> Path:
    """Draw an :class:`mpinn.analysis.ntk.NtkReport` (its results and fit) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = new_figure(figsize=(6.4, 4.6))
    S = report.S
    if report.sweep_name:
        xs = [r["params"][report.sweep_name] for r in report.results]
        ax.loglog(
            xs,
            [r["lambda_max_K"] for r in report.results],
            "o-",
            label=r"$\lambda_{\max}(K)$, $K = JJ^T$",
        )
        ax.loglog(
            xs,
            [r["lambda_max_KP"] for r in report.results],
            "s-",
            label=r"$\lambda_{\max}(K_P)$, $K_P=\sum_s P_s$",
        )
        ax.axhline(S, color="k", ls=":", lw=1, label=f"S = {S}")
        slope, intercept, used = report.fit
        if slope is not None:
            grid = np.geomspace(min(used), max(used), 20)
            ax.loglog(
                grid,
                np.exp(intercept) * grid**slope,
                "--",
                color="C3",
                label=f"fit: slope {slope:.2f}",
            )
        ax.set_xlabel(report.sweep_name)
        ax.set_ylabel("largest eigenvalue")
    else:  # one parameter set: the two spectra
        r = report.results[0]
        ax.set_title("eigenvalues, descending")
        ax.text(
            0.02,
            0.02,
            f"λmax(K) = {r['lambda_max_K']:.3e}, λmax(K_P) = {r['lambda_max_KP']:.8f}",
            transform=ax.transAxes,
        )
        ax.axhline(S, color="k", ls=":", lw=1, label=f"S = {S}")
        ax.set_yscale("log")
        ax.set_xlabel("index")
    ax.set_title(f"{report.problem}: NTK vs block-GN preconditioned NTK")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
