"""Axis limits and colour scales that read well: log axes from the positive, finite
values (an exact zero or a denormal never stretches an axis to 1e-314), diverging colour
scales centred at zero for signed errors, one shared scale for a prediction and its
reference."""

from __future__ import annotations

import numpy as np

#: Log-axis limits when nothing is positive (an error that is zero everywhere).
EMPTY_LOG_LIMITS = (1e-16, 1.0)


def finite(values) -> np.ndarray:
    """The finite entries of one array or of a list of arrays, flattened."""
    parts = [np.asarray(v, dtype=float).ravel() for v in _as_list(values)]
    flat = np.concatenate(parts) if parts else np.empty(0)
    return flat[np.isfinite(flat)]


def _as_list(values) -> list:
    return list(values) if isinstance(values, (list, tuple)) else [values]


def log_limits(values, *, span: float = 1e6, quantile: float = 0.01, pad: float = 1.5):
    """``(lo, hi)`` for a log axis showing ``values``, or None if none is positive.

    Only positive finite values count. The top is their maximum; the bottom is their
    ``quantile`` (dips where an error changes sign are not the story) but never below
    ``max / span``, so exact zeros, denormals and lone tiny values cannot stretch the
    axis. Both ends are padded by the factor ``pad``.
    """
    v = finite(values)
    v = v[v > 0]
    if v.size == 0:
        return None
    hi = float(v.max())
    lo = max(float(np.quantile(v, quantile)), hi / span)
    if lo >= hi:  # one value, or all equal
        lo, hi = hi / 3, hi * 3
    return lo / pad, hi * pad


def set_log_y(ax, values, **kwargs) -> tuple:
    """Put ``ax`` on a log y axis with :func:`log_limits` of ``values`` (the data already
    drawn); values below the bottom leave the panel downwards. Returns the limits."""
    ax.set_yscale("log")
    limits = log_limits(values, **kwargs) or EMPTY_LOG_LIMITS
    ax.set_ylim(*limits)
    return limits


def signed_norm(error):
    """A colour norm symmetric about zero (``vmin == -vmax``) for a signed error."""
    from matplotlib.colors import Normalize

    v = finite(error)
    m = float(np.abs(v).max()) if v.size else 0.0
    m = m if m > 0 else 1.0
    return Normalize(vmin=-m, vmax=m)


def shared_norm(*arrays):
    """One linear colour norm spanning every finite value of ``arrays`` (a prediction and
    its reference on the same scale, so the colours compare)."""
    from matplotlib.colors import Normalize

    v = finite(list(arrays))
    if v.size == 0:
        return Normalize(vmin=0.0, vmax=1.0)
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return Normalize(vmin=lo, vmax=hi)


#: Colour maps: values are sequential, signed errors diverge from white at zero.
VALUES_CMAP = "viridis"
ERROR_CMAP = "RdBu_r"


def max_abs(a) -> float:
    """The largest finite ``|a|`` (0 when none is finite)."""
    v = finite(a)
    return float(np.abs(v).max()) if v.size else 0.0
