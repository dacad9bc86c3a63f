"""Figures without pyplot: matplotlib is imported when the first figure is made, and no
backend is selected globally (a :class:`matplotlib.figure.Figure` saves itself through the
Agg canvas), so importing mpinn never changes a user's matplotlib set-up."""

from __future__ import annotations


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = True):
    """``(figure, axes)`` like ``pyplot.subplots``, on a figure no pyplot state knows."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)
