"""The residual points of an NTK check: the point sets of a training setup (its sampler at
one step), condition points deduplicated."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ...train import points_for


@dataclass
class PointSet:
    """Points shared by a group of residual terms (rows are point-major: point, term)."""

    kind: str  # interior | faces | initial
    terms: list
    points: torch.Tensor  # [n, dim]
    normals: torch.Tensor | None = None

    @property
    def rows(self) -> int:
        return self.points.shape[0] * len(self.terms)


def _unique_rows(points: torch.Tensor, normals: torch.Tensor | None):
    """Drop repeated points (1D 'faces' are single points, sampled many times)."""
    both = points if normals is None else torch.cat([points, normals], dim=1)
    seen, keep = set(), []
    for i, row in enumerate(both.tolist()):
        key = tuple(row)
        if key not in seen:
            seen.add(key)
            keep.append(i)
    idx = torch.tensor(keep, dtype=torch.long)
    return points[idx], (None if normals is None else normals[idx])


def point_sets(setup, include_conditions: bool = False, step: int = 0) -> list:
    """The residual point sets of a :class:`~mpinn.train.Setup` (its sampler, at ``step``).

    Condition points are deduplicated (a 1D boundary is two points; repeating them only
    adds identical rows to J).
    """
    out = []
    for group in setup.groups:
        if group.kind == "data":  # measured values, not residuals of the system: left out
            continue
        if group.kind != "interior" and not include_conditions:
            continue
        if not group.terms:
            continue
        pts, normals = points_for(setup, group, step)
        pts = pts.to(torch.float64)
        normals = normals.to(torch.float64) if normals is not None else None
        if group.kind != "interior":
            pts, normals = _unique_rows(pts, normals)
        out.append(PointSet(group.kind, list(group.terms), pts, normals))
    return out
