"""The evaluation grid of ``fields.npz`` as the plots see it.

The arrays hold ``axis_<coord>`` for every column (space first, then the time if the
problem has one), ``pred_<field>``, ``exact_<field>`` where the truth is known,
``space_names`` and ``step``; a domain built from shapes adds ``mask`` (True inside) and
its field arrays are NaN outside, so heat maps show the domain's shape. Field arrays have
one dimension per column in that order ("ij" indexing), so the time is the last dimension.
A coordinate with an axis but not in ``space_names`` is the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    arrays: dict
    space: list  # the space coordinates, in array order
    time: str | None  # the time coordinate, the last array dimension, or None

    @classmethod
    def from_arrays(cls, arrays: dict) -> Grid:
        axes = [k[5:] for k in arrays if k.startswith("axis_")]
        if "space_names" in arrays:
            space = [str(s) for s in np.atleast_1d(arrays["space_names"])]
        else:  # no names: every axis is taken for space
            space = axes
        times = [a for a in axes if a not in space]
        return cls(arrays, space, times[0] if times else None)

    @property
    def dim(self) -> int:
        return len(self.space)

    @property
    def fields(self) -> list:
        return sorted(k[5:] for k in self.arrays if k.startswith("pred_"))

    @property
    def step(self) -> int | None:
        s = self.arrays.get("step")
        return int(s) if s is not None and np.ndim(s) == 0 else None

    @property
    def shaped(self) -> bool:
        """True for a domain built from shapes (values outside it are NaN)."""
        return "mask" in self.arrays

    def axis(self, name: str) -> np.ndarray:
        return np.asarray(self.arrays[f"axis_{name}"], dtype=float)

    @property
    def t(self) -> np.ndarray:
        return self.axis(self.time)

    def pred(self, field: str) -> np.ndarray:
        return self._plane(self.arrays[f"pred_{field}"])

    def ref(self, field: str) -> np.ndarray | None:
        a = self.arrays.get(f"exact_{field}")
        return None if a is None else self._plane(a)

    def _plane(self, a: np.ndarray) -> np.ndarray:
        """At most two space dimensions (the middle of the third and later), time kept."""
        a = np.asarray(a, dtype=float)
        for d in range(self.dim - 1, 1, -1):
            a = np.take(a, a.shape[d] // 2, axis=d)
        return a

    def plane_note(self) -> str:
        """Which slice :meth:`pred` shows in 3D ("" otherwise), e.g. ``", z = 0.5"``."""
        parts = []
        for name in self.space[2:]:
            ax = self.axis(name)
            parts.append(f"{name} = {fmt(ax[len(ax) // 2])}")
        return "".join(f", {p}" for p in parts)

    def step_note(self) -> str:
        return f" (step {self.step})" if self.step is not None else ""


def fmt(x: float) -> str:
    """A coordinate or time value for a title: ``0``, ``0.05``, ``0.333``."""
    return f"{float(x):.3g}"


def time_levels(n: int, k: int) -> list:
    """Up to ``k`` indices spread evenly over ``n`` time levels, first and last included."""
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(k, n))})
