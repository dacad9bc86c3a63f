"""The primitive solids, one class per kind of :data:`mpinn.ir.shapes.PRIMITIVES`, and the
registry :data:`PRIMITIVE_TYPES` (kind -> class). A class takes float arguments in the
order of the kind's signature (a point is a tuple of floats; ``polygon`` takes its
vertices), checks them (raising :class:`ShapeError`), and gives the exact signed distance,
bounding box, volume and boundary patches.
"""

from __future__ import annotations

import math

import numpy as np

from .patches import (
    CylinderSide,
    DiskCap,
    EllipseArc,
    EndPoint,
    PlanarRect,
    Segment,
    Sphere,
)
from .solid import ShapeError, Solid


def _g(v: float) -> str:
    return f"{v:g}"


def _pt(p) -> str:
    return "(" + ", ".join(_g(v) for v in p) + ")"


def _positive(kind: str, what: str, v: float) -> float:
    if not v > 0:
        raise ShapeError(f"{kind}: {what} must be positive, got {_g(v)}")
    return float(v)


def box_sdf(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Exact signed distance of an axis-parallel box (any dimension)."""
    q = np.abs(p - (lo + hi) / 2) - (hi - lo) / 2
    return np.linalg.norm(np.maximum(q, 0.0), axis=1) + np.minimum(q.max(axis=1), 0.0)


class Primitive(Solid):
    """Base of the primitives: a leaf of the tree."""

    kind = ""

    def leaves(self) -> list:
        return [self]

    def named(self) -> dict:
        return {}

    def patches(self) -> list:
        """The boundary as :mod:`~mpinn.shapes.patches` with outward normals."""
        raise NotImplementedError

    def exact_volume(self) -> float:
        raise NotImplementedError

    def volume(self) -> float:
        return self.exact_volume()

    def __repr__(self) -> str:
        return f"{self.kind}{self._args!r}"


class _AxisBox(Primitive):
    """interval, rect and box: ``prod [lo_i, hi_i]``."""

    def __init__(self, lo, hi):
        self.lo, self.hi = np.asarray(lo, float), np.asarray(hi, float)
        if not np.all(self.lo < self.hi):
            usage = {1: "a < b", 2: "x0 < x1 and y0 < y1", 3: "x0 < x1, y0 < y1 and z0 < z1"}
            raise ShapeError(
                f"{self.kind} needs opposite corners with {usage[self.dim]}, "
                f"got {_pt(self.lo)} and {_pt(self.hi)}"
            )

    def sdf(self, p):
        return box_sdf(p, self.lo, self.hi)

    def bbox(self):
        return tuple(self.lo.tolist()), tuple(self.hi.tolist())

    def exact_volume(self) -> float:
        return float(np.prod(self.hi - self.lo))


class Interval(_AxisBox):
    kind, dim = "interval", 1

    def __init__(self, a: float, b: float):
        self._args = (a, b)
        super().__init__((a,), (b,))

    def patches(self):
        return [EndPoint(self.lo[0], -1.0), EndPoint(self.hi[0], 1.0)]


class Rect(_AxisBox):
    kind, dim = "rect", 2

    def __init__(self, p0, p1):
        self._args = (p0, p1)
        super().__init__(p0, p1)

    def patches(self):
        (x0, y0), (x1, y1) = self.lo, self.hi
        return [
            Segment((x0, y0), (x1, y0), (0.0, -1.0)),
            Segment((x1, y0), (x1, y1), (1.0, 0.0)),
            Segment((x1, y1), (x0, y1), (0.0, 1.0)),
            Segment((x0, y1), (x0, y0), (-1.0, 0.0)),
        ]


class Box(_AxisBox):
    kind, dim = "box", 3

    def __init__(self, p0, p1):
        self._args = (p0, p1)
        super().__init__(p0, p1)

    def patches(self):
        out = []
        ext = self.hi - self.lo
        for axis in range(3):
            a, b = [k for k in range(3) if k != axis]
            e1, e2 = np.zeros(3), np.zeros(3)
            e1[a], e2[b] = ext[a], ext[b]
            for side in (0, 1):
                origin = self.lo.copy()
                origin[axis] = (self.hi if side else self.lo)[axis]
                normal = np.zeros(3)
                normal[axis] = 1.0 if side else -1.0
                out.append(PlanarRect(origin, e1, e2, normal))
        return out


class Disk(Primitive):
    kind, dim = "disk", 2

    def __init__(self, centre, r: float):
        self._args = (centre, r)
        self.c, self.r = np.asarray(centre, float), _positive("disk", "radius", r)

    def sdf(self, p):
        return np.linalg.norm(p - self.c, axis=1) - self.r

    def bbox(self):
        return tuple((self.c - self.r).tolist()), tuple((self.c + self.r).tolist())

    def exact_volume(self):
        return math.pi * self.r**2

    def patches(self):
        return [EllipseArc(self.c, self.r, self.r)]


class Ellipse(Primitive):
    kind, dim = "ellipse", 2

    def __init__(self, centre, a: float, b: float):
        self._args = (centre, a, b)
        self.c = np.asarray(centre, float)
        self.a, self.b = _positive("ellipse", "a", a), _positive("ellipse", "b", b)
        self._arc = EllipseArc(self.c, self.a, self.b)

    def sdf(self, p):
        a, b = self.a, self.b
        q = p - self.c
        px, py = np.abs(q[:, 0]), np.abs(q[:, 1])
        # Chatfield's iteration for the nearest point (angle t in the first quadrant) ...
        tx = ty = np.full(px.shape, math.sqrt(0.5))
        for _ in range(4):
            ex, ey = (a * a - b * b) * tx**3 / a, (b * b - a * a) * ty**3 / b
            rx, ry, qx, qy = a * tx - ex, b * ty - ey, px - ex, py - ey
            r, qq = np.hypot(rx, ry), np.maximum(np.hypot(qx, qy), 1e-300)
            tx = np.clip((qx * r / qq + ex) / a, 0.0, 1.0)
            ty = np.clip((qy * r / qq + ey) / b, 0.0, 1.0)
            t = np.hypot(tx, ty)
            tx, ty = tx / t, ty / t
        # ... polished by Newton steps on the stationarity condition
        t = np.arctan2(ty, tx)
        for _ in range(2):
            s, c = np.sin(t), np.cos(t)
            f = (a * a - b * b) * s * c - px * a * s + py * b * c
            df = (a * a - b * b) * (c * c - s * s) - px * a * c - py * b * s
            step = np.where(np.abs(df) > 1e-12 * a * b, f / np.where(df == 0, 1.0, df), 0.0)
            t = np.clip(t - step, 0.0, math.pi / 2)
        d = np.hypot(px - a * np.cos(t), py - b * np.sin(t))
        inside = (px / a) ** 2 + (py / b) ** 2 <= 1.0
        return np.where(inside, -d, d)

    def bbox(self):
        ab = np.array([self.a, self.b])
        return tuple((self.c - ab).tolist()), tuple((self.c + ab).tolist())

    def exact_volume(self):
        return math.pi * self.a * self.b

    def patches(self):
        return [self._arc]


def _cross(o, a, b):
    return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (
        b[..., 0] - o[..., 0]
    )


def _segments_meet(a, b, c, d) -> np.ndarray:
    """Closed segments ab and cd (arrays [k, 2]) share a point."""
    d1, d2, d3, d4 = _cross(c, d, a), _cross(c, d, b), _cross(a, b, c), _cross(a, b, d)
    proper = (d1 * d2 < 0) & (d3 * d4 < 0)

    def on(p, q, r, o):  # r on segment pq given collinear (o == 0)
        box = (np.minimum(p, q) <= r) & (r <= np.maximum(p, q))
        return (o == 0) & box.all(axis=-1)

    return proper | on(c, d, a, d1) | on(c, d, b, d2) | on(a, b, c, d3) | on(a, b, d, d4)


class Polygon(Primitive):
    kind, dim = "polygon", 2

    def __init__(self, *vertices):
        self._args = vertices
        v = np.asarray(vertices, float)
        k = len(v)
        if k < 3:
            raise ShapeError(f"polygon needs at least 3 vertices, got {k}")
        nxt = np.roll(v, -1, axis=0)
        same = np.flatnonzero(np.all(v == nxt, axis=1))
        if same.size:
            i = int(same[0])
            raise ShapeError(f"polygon vertices {i + 1} and {(i + 1) % k + 1} coincide")
        self._check_crossings(v, nxt)
        area = 0.5 * float(np.sum(v[:, 0] * nxt[:, 1] - nxt[:, 0] * v[:, 1]))
        span = float(np.ptp(v, axis=0).max())
        if abs(area) <= 1e-12 * span * span:
            raise ShapeError("polygon has zero area (its vertices are collinear)")
        self._check_folds(v, nxt)
        if area < 0:  # counter-clockwise from here on: outward normal = edge turned right
            v = v[::-1].copy()
        self.v, self.area = v, abs(area)

    @staticmethod
    def _check_crossings(v, nxt):
        """Edges that are not neighbours must not meet."""
        k = len(v)
        i, j = np.triu_indices(k, 1)
        adjacent = (j == i + 1) | ((i == 0) & (j == k - 1))
        i, j = i[~adjacent], j[~adjacent]
        bad = _segments_meet(v[i], nxt[i], v[j], nxt[j]) if i.size else np.zeros(0, bool)
        if bad.any():
            f = int(np.flatnonzero(bad)[0])
            raise ShapeError(
                f"polygon edges {i[f] + 1} and {j[f] + 1} intersect (the polygon must be simple)"
            )

    @staticmethod
    def _check_folds(v, nxt):
        """Neighbouring edges meet only at their shared vertex unless they fold back."""
        e = nxt - v
        e_next = np.roll(e, -1, axis=0)
        cross = e[:, 0] * e_next[:, 1] - e[:, 1] * e_next[:, 0]
        fold = (cross == 0) & (np.sum(e * e_next, axis=1) < 0)
        if fold.any():
            f, k = int(np.flatnonzero(fold)[0]), len(v)
            raise ShapeError(f"polygon edges {f + 1} and {(f + 1) % k + 1} fold back on each other")

    def sdf(self, p):
        a, b = self.v, np.roll(self.v, -1, axis=0)
        e = b - a
        ee = np.sum(e * e, axis=1)
        out = np.empty(p.shape[0])
        step = max(1, 2_000_000 // len(a))
        for s in range(0, p.shape[0], step):
            q = p[s : s + step]
            w = q[:, None, :] - a[None]
            t = np.clip(np.sum(w * e, axis=2) / ee, 0.0, 1.0)
            d2 = np.sum((w - t[..., None] * e) ** 2, axis=2)
            y = q[:, 1:2]
            up = (a[None, :, 1] > y) != (b[None, :, 1] > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                xc = a[:, 0] + (y - a[:, 1]) * e[:, 0] / e[:, 1]
            crossings = np.sum(up & (q[:, :1] < xc), axis=1)
            d = np.sqrt(d2.min(axis=1))
            out[s : s + step] = np.where(crossings % 2 == 1, -d, d)
        return out

    def bbox(self):
        return tuple(self.v.min(axis=0).tolist()), tuple(self.v.max(axis=0).tolist())

    def exact_volume(self):
        return self.area

    def patches(self):
        b = np.roll(self.v, -1, axis=0)
        out = []
        for p, q in zip(self.v, b):
            e = q - p
            out.append(Segment(p, q, np.array([e[1], -e[0]]) / np.hypot(*e)))
        return out


class Ball(Primitive):
    kind, dim = "ball", 3

    def __init__(self, centre, r: float):
        self._args = (centre, r)
        self.c, self.r = np.asarray(centre, float), _positive("ball", "radius", r)

    def sdf(self, p):
        return np.linalg.norm(p - self.c, axis=1) - self.r

    def bbox(self):
        return tuple((self.c - self.r).tolist()), tuple((self.c + self.r).tolist())

    def exact_volume(self):
        return 4.0 / 3.0 * math.pi * self.r**3

    def patches(self):
        return [Sphere(self.c, self.r)]


class Cylinder(Primitive):
    kind, dim = "cylinder", 3

    def __init__(self, base, r: float, h: float):
        self._args = (base, r, h)
        self.c, self.z0 = np.asarray(base[:2], float), float(base[2])
        self.r, self.h = _positive("cylinder", "radius", r), _positive("cylinder", "height", h)

    def sdf(self, p):
        dr = np.linalg.norm(p[:, :2] - self.c, axis=1) - self.r
        dz = np.abs(p[:, 2] - (self.z0 + self.h / 2)) - self.h / 2
        outside = np.hypot(np.maximum(dr, 0.0), np.maximum(dz, 0.0))
        return outside + np.minimum(np.maximum(dr, dz), 0.0)

    def bbox(self):
        lo = (self.c[0] - self.r, self.c[1] - self.r, self.z0)
        return lo, (self.c[0] + self.r, self.c[1] + self.r, self.z0 + self.h)

    def exact_volume(self):
        return math.pi * self.r**2 * self.h

    def patches(self):
        return [
            CylinderSide(self.c, self.r, self.z0, self.h),
            DiskCap(self.c, self.r, self.z0, -1.0),
            DiskCap(self.c, self.r, self.z0 + self.h, 1.0),
        ]


#: kind (a key of :data:`mpinn.ir.shapes.PRIMITIVES`) -> class
PRIMITIVE_TYPES: dict[str, type] = {
    cls.kind: cls for cls in (Interval, Rect, Disk, Ellipse, Polygon, Box, Ball, Cylinder)
}
