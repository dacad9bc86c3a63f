"""Figures without pyplot: matplotlib is imported when the first figure is made, and no
backend is selected globally (a :class:`matplotlib.figure.Figure` saves itself through the
Agg canvas), so importing mpinn never changes a user's matplotlib set-up."""

from __future__ import annotations

from pathlib import Path


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = True, layout=None, **kw
):
    """``(figure, axes)`` like ``pyplot.subplots``, on a figure no pyplot state knows.

    ``layout="tight"`` or ``"constrained"`` (colour bars shared by a row) lays it out when drawn;
    other keywords (``sharex``, …) go to :meth:`~matplotlib.figure.Figure.subplots`.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, **kw)


def save(fig, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (the format from its suffix) and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path
