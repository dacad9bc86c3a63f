"""Boundary patches of the primitives: end points (1D), segments and elliptic arcs (2D),
planar rectangles, spheres, cylinder sides and disk caps (3D).

A patch maps parameters ``u`` in the unit cube ``[0, 1]^pdim`` (``pdim`` = 0, 1 or 2) to
points on it and the primitive's outward unit normals there:

* ``at(u) -> (points [n, dim], normals [n, dim])`` preserves measure: uniform ``u`` gives
  points uniform in length/area (used for sampling, and for every rule of 1D patches);
* ``natural(u) -> (points, normals, jac)`` is a smooth parametrisation for quadrature,
  ``jac`` the measure element, ``integral of jac du = measure`` (default: ``at`` with
  ``jac = measure``);
* ``measure`` is the exact length/area (1 for an end point);
* ``plane`` is ``(axis, value)`` when the whole patch lies in the plane ``x[axis] = value``
  (that is how ``x = 0`` selects the inlet edge of a rectangle), else None;
* ``features(axis)`` are the coordinates along ``axis`` where the patch starts, ends or
  turns (ends, extremes): the break points of the line rules of :mod:`.interior`.
"""

from __future__ import annotations

import math

import numpy as np

from .rules import gauss

TWO_PI = 2.0 * math.pi


class Patch:
    pdim: int = 1
    measure: float = 0.0
    plane: tuple | None = None
    dim: int = 2

    def at(self, u: np.ndarray):  # pragma: no cover - every patch defines it
        raise NotImplementedError

    def features(self, axis: int) -> list:  # pragma: no cover - every patch defines it
        raise NotImplementedError

    def natural(self, u: np.ndarray):
        points, normals = self.at(u)
        return points, normals, np.full(points.shape[0], self.measure)


class EndPoint(Patch):
    """An end of an interval: measure 1, normal -1 (lo end) or +1 (hi end)."""

    pdim, dim = 0, 1

    def __init__(self, x: float, normal: float):
        self.x, self.normal, self.measure, self.plane = float(x), float(normal), 1.0, (0, float(x))

    def at(self, u):
        n = np.asarray(u).shape[0]
        return np.full((n, 1), self.x), np.full((n, 1), self.normal)

    def features(self, axis):
        return [self.x]


def _plane_of(points: np.ndarray) -> tuple | None:
    """``(axis, value)`` of the first axis on which all the points agree exactly."""
    for axis in range(points.shape[1]):
        if np.all(points[:, axis] == points[0, axis]):
            return axis, float(points[0, axis])
    return None


class Segment(Patch):
    """The segment from ``a`` to ``b`` with the outward normal ``normal``."""

    def __init__(self, a, b, normal):
        self.a, self.b = np.asarray(a, float), np.asarray(b, float)
        self.normal = np.asarray(normal, float)
        self.measure = float(np.hypot(*(self.b - self.a)))
        self.plane = _plane_of(np.stack([self.a, self.b]))

    def at(self, u):
        v = np.asarray(u, float).reshape(-1)
        # a + v (b - a), with the coordinate that does not move kept exactly
        points = np.where(self.a == self.b, self.a, self.a + v[:, None] * (self.b - self.a))
        return points, np.broadcast_to(self.normal, points.shape).copy()

    def features(self, axis):
        return [self.a[axis], self.b[axis]]


class EllipseArc(Patch):
    """The whole ellipse ``c + (a cos t, b sin t)`` (a circle when a == b), counter-clockwise
    from angle 0. ``at`` inverts the arc length (a table plus Newton steps, to ~1e-13)."""

    TABLE = 1024

    def __init__(self, centre, a: float, b: float):
        self.c, self.a, self.b = np.asarray(centre, float), float(a), float(b)
        if self.a == self.b:
            self.measure = TWO_PI * self.a
            return
        self._t = np.linspace(0.0, TWO_PI, self.TABLE + 1)
        s = self._arc(self._t[:-1], self._t[1:])
        self._s = np.r_[0.0, np.cumsum(s)]
        self.measure = float(self._s[-1])

    def _speed(self, t):
        return np.hypot(self.a * np.sin(t), self.b * np.cos(t))

    def _arc(self, t0, t1):
        """Arc length from t0 to t1 (8-point Gauss on each interval)."""
        x, w = gauss()
        h = t1 - t0
        return h * (self._speed(t0[:, None] + h[:, None] * x) @ w)

    def angle(self, v):
        """Angle t at which the arc length from 0 is ``v * measure``."""
        if self.a == self.b:
            return TWO_PI * v
        s = v * self.measure
        k = np.clip(np.searchsorted(self._s, s, side="right") - 1, 0, self.TABLE - 1)
        t0, s0 = self._t[k], self._s[k]
        t = t0 + (self._t[k + 1] - t0) * (s - s0) / (self._s[k + 1] - s0)
        for _ in range(3):
            t = t - (s0 + self._arc(t0, t) - s) / self._speed(t)
        return t

    def _point(self, t):
        cos, sin = np.cos(t), np.sin(t)
        points = self.c + np.stack([self.a * cos, self.b * sin], axis=1)
        normals = np.stack([self.b * cos, self.a * sin], axis=1)
        return points, normals / np.linalg.norm(normals, axis=1, keepdims=True)

    def at(self, u):
        return self._point(self.angle(np.asarray(u, float).reshape(-1)))

    def features(self, axis):
        half = (self.a, self.b)[axis]
        return [self.c[axis] - half, self.c[axis] + half]


class PlanarRect(Patch):
    """The rectangle ``origin + u1 e1 + u2 e2`` (axis-parallel edges) with normal
    ``normal`` (a face of a box)."""

    pdim, dim = 2, 3

    def __init__(self, origin, e1, e2, normal):
        self.o, self.e1, self.e2 = (np.asarray(v, float) for v in (origin, e1, e2))
        self.normal = np.asarray(normal, float)
        self.measure = float(np.linalg.norm(self.e1) * np.linalg.norm(self.e2))
        axis = int(np.argmax(np.abs(self.normal)))
        self.plane = (axis, float(self.o[axis]))

    def at(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        points = self.o + u[:, :1] * self.e1 + u[:, 1:] * self.e2
        points[:, self.plane[0]] = self.plane[1]  # exactly on the face plane
        return points, np.broadcast_to(self.normal, points.shape).copy()

    def features(self, axis):
        return [self.o[axis], self.o[axis] + self.e1[axis] + self.e2[axis]]


class Sphere(Patch):
    """The sphere ``|p - c| = r``. ``at``: Archimedes' map (z uniform), ``natural``: polar
    angle and azimuth."""

    pdim, dim = 2, 3

    def __init__(self, centre, r: float):
        self.c, self.r = np.asarray(centre, float), float(r)
        self.measure = 4.0 * math.pi * self.r**2

    def _point(self, cos_t, sin_t, phi):
        n = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=1)
        return self.c + self.r * n, n

    def at(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        w = 1.0 - 2.0 * u[:, 0]
        return self._point(w, np.sqrt(np.clip(1.0 - w * w, 0.0, None)), TWO_PI * u[:, 1])

    def natural(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        theta = math.pi * u[:, 0]
        points, normals = self._point(np.cos(theta), np.sin(theta), TWO_PI * u[:, 1])
        return points, normals, 2.0 * math.pi**2 * self.r**2 * np.sin(theta)

    def features(self, axis):
        return [self.c[axis] - self.r, self.c[axis] + self.r]


class CylinderSide(Patch):
    """The side ``|p_xy - c| = r``, ``z0 <= z <= z0 + h`` of a cylinder along z."""

    pdim, dim = 2, 3

    def __init__(self, centre_xy, r: float, z0: float, h: float):
        self.c, self.r, self.z0, self.h = np.asarray(centre_xy, float), float(r), z0, h
        self.measure = TWO_PI * self.r * self.h

    def at(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        phi = TWO_PI * u[:, 0]
        n = np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], axis=1)
        points = np.empty_like(n)
        points[:, :2] = self.c + self.r * n[:, :2]
        points[:, 2] = self.z0 + self.h * u[:, 1]
        return points, n

    def features(self, axis):
        if axis == 2:
            return [self.z0, self.z0 + self.h]
        return [self.c[axis] - self.r, self.c[axis] + self.r]


class DiskCap(Patch):
    """The disk ``|p_xy - c| <= r`` in the plane ``z = z`` with normal ``(0, 0, side)``.
    ``at``: radius ``r sqrt(u1)``; ``natural``: radius ``r u1`` (smooth in x and y)."""

    pdim, dim = 2, 3

    def __init__(self, centre_xy, r: float, z: float, side: float):
        self.c, self.r, self.z = np.asarray(centre_xy, float), float(r), float(z)
        self.normal = np.array([0.0, 0.0, float(side)])
        self.measure, self.plane = math.pi * self.r**2, (2, self.z)

    def _point(self, rho, phi):
        points = np.empty((rho.size, 3))
        points[:, 0] = self.c[0] + rho * np.cos(phi)
        points[:, 1] = self.c[1] + rho * np.sin(phi)
        points[:, 2] = self.z
        return points, np.broadcast_to(self.normal, points.shape).copy()

    def at(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        return self._point(self.r * np.sqrt(u[:, 0]), TWO_PI * u[:, 1])

    def natural(self, u):
        u = np.asarray(u, float).reshape(-1, 2)
        points, normals = self._point(self.r * u[:, 0], TWO_PI * u[:, 1])
        return points, normals, TWO_PI * self.r**2 * u[:, 0]

    def features(self, axis):
        return [self.z] if axis == 2 else [self.c[axis] - self.r, self.c[axis] + self.r]
