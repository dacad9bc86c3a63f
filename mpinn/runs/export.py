"""A run's evaluation grid as VTK files that ParaView opens (``mpinn export``).

``fields.npz`` holds the tensor-product evaluation grid (``axis_<coordinate>``, spatial
coordinates in the order of ``space_names``, then the time coordinate, if any, last) and
the arrays ``pred_<field>`` and ``exact_<field>`` (exact or reference solution, where
known) of that grid's shape. :func:`export_vtu` turns it into an unstructured grid with
proper cells — line segments in 1D, quadrilaterals in 2D, hexahedra in 3D, written by
meshio — and one point-data array per field (``u``), exact/reference value
(``u_exact``) and signed error (``u_error = u - u_exact``).

A time-dependent run becomes a *time series*, which is what ParaView's time controls
expect: one ``.vtu`` per time level (``fields_0000.vtu``, ...) and a ``.pvd`` collection
that lists them with their times. meshio writes single meshes only, not collections, so
the ``.pvd`` (a few lines of XML) is written here. Every file is written atomically, the
``.pvd`` last, so it never names a missing or partial file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from ..config import ConfigError
from .directory import RUN_FILES
from .files import RunDirError, atomic_write

#: Where ``mpinn export`` writes by default, relative to the run directory.
EXPORT_DIR = "export"
STEM = "fields"
#: meshio's names of the cells of a structured grid, by spatial dimension.
CELL_TYPES = {1: "line", 2: "quad", 3: "hexahedron"}


def read_grid(run_dir: str | Path) -> dict:
    """The evaluation grid of a run directory: ``{"space": [...], "time": name or None,
    "axes": {coordinate: values}, "fields": {field: {"pred": array, "exact": array or
    None}}, "step": int or None}``; arrays have the grid's shape (time last)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"no such run directory: {run_dir}")
    path = run_dir / "fields.npz"
    if not path.is_file():
        if not any((run_dir / f).exists() for f in RUN_FILES):
            raise RunDirError(f"{run_dir} is not a run directory (no {', '.join(RUN_FILES[:3])})")
        raise RunDirError(
            f"{run_dir} has no fields.npz yet (the run has not written its results; "
            f"`mpinn resume {run_dir}` finishes it)"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise RunDirError(f"{path}: unreadable ({exc})") from None
    axes = {k[5:]: np.asarray(v, dtype=float) for k, v in data.items() if k.startswith("axis_")}
    space = [str(s) for s in np.atleast_1d(data.get("space_names", np.array(list(axes))))]
    rest = [c for c in axes if c not in space]
    if any(s not in axes for s in space) or len(rest) > 1 or not 1 <= len(space) <= 3:
        raise RunDirError(f"{path}: unexpected grid (axes {list(axes)}, space coordinates {space})")
    time = rest[0] if rest else None
    shape = tuple(len(axes[c]) for c in space + rest)
    fields = {}
    for key in sorted(data):
        if not key.startswith("pred_"):
            continue
        f = key[5:]
        pred, exact = data[key], data.get(f"exact_{f}")
        for name, arr in ((key, pred), (f"exact_{f}", exact)):
            if arr is not None and arr.shape != shape:
                raise RunDirError(f"{path}: {name} has shape {arr.shape}, the grid {shape}")
        fields[f] = {"pred": pred.astype(float), "exact": exact}
    if not fields:
        raise RunDirError(f"{path}: no predictions (pred_<field>) in it")
    step = int(data["step"]) if "step" in data and data["step"].shape == () else None
    mask = data.get("mask")  # a domain built from shapes: True inside, values NaN outside
    if mask is not None and mask.shape != shape:
        raise RunDirError(f"{path}: mask has shape {mask.shape}, the grid {shape}")
    return {
        "space": space,
        "time": time,
        "axes": axes,
        "fields": fields,
        "step": step,
        "mask": mask,
    }


def structured_mesh(axes: list) -> tuple:
    """``(points [N, 3], cell_type, cells [M, 2**d])`` of the tensor-product grid of
    ``axes`` (1 to 3 coordinate arrays). Points are numbered in "ij" order, so a grid
    array ``a`` of that shape lines up with them as ``a.reshape(-1)``; cells follow VTK's
    corner order (counter-clockwise quads; hexahedra bottom face then top face)."""
    d = len(axes)
    shape = tuple(len(a) for a in axes)
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.zeros((int(np.prod(shape)), 3))
    for k, m in enumerate(mesh):
        points[:, k] = m.reshape(-1)
    idx = np.arange(points.shape[0]).reshape(shape)
    if min(shape) < 2:  # no cells to span: the points alone
        return points, "vertex", idx.reshape(-1, 1)
    lo, hi = slice(None, -1), slice(1, None)
    if d == 1:
        corners = [(lo,), (hi,)]
    else:
        square = [(lo, lo), (hi, lo), (hi, hi), (lo, hi)]
        corners = square if d == 2 else [c + (z,) for z in (lo, hi) for c in square]
    cells = np.stack([idx[c].reshape(-1) for c in corners], axis=1)
    return points, CELL_TYPES[d], cells


def array_names(fields: list) -> dict:
    """``{field: (prediction, exact, error)}`` array names: ``u``, ``u_exact``,
    ``u_error``; ``pred_u``, ``exact_u``, ``error_u`` if those would collide (a field
    called ``u_error`` next to ``u``)."""
    plain = {f: (f, f"{f}_exact", f"{f}_error") for f in fields}
    names = [n for triple in plain.values() for n in triple]
    if len(set(names)) == len(names):
        return plain
    return {f: (f"pred_{f}", f"exact_{f}", f"error_{f}") for f in fields}


def point_data(grid: dict) -> dict:
    """The arrays to export, each of the grid's shape: prediction, exact/reference value
    and error (prediction - exact) per field."""
    out = {}
    names = array_names(list(grid["fields"]))
    for f, arrays in grid["fields"].items():
        pred_name, exact_name, error_name = names[f]
        out[pred_name] = arrays["pred"]
        if arrays["exact"] is not None:
            exact = arrays["exact"].astype(float)
            out[exact_name] = exact
            out[error_name] = arrays["pred"] - exact
    if grid.get("mask") is not None:  # threshold on it in ParaView to see the domain
        out["inside"] = grid["mask"].astype(np.uint8)
    return out


def pvd_text(entries: list) -> str:
    """A ParaView collection (``.pvd``) of ``(time, file name relative to the .pvd)``."""
    rows = "".join(
        f'    <DataSet timestep="{float(t)!r}" group="" part="0" file={quoteattr(name)}/>\n'
        for t, name in entries
    )
    return (
        '<?xml version="1.0"?>\n'
        '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n'
        f"  <Collection>\n{rows}  </Collection>\n</VTKFile>\n"
    )


def _target(run_dir: Path, out, timed: bool) -> Path:
    suffix = ".pvd" if timed else ".vtu"
    if out is None:
        return run_dir / EXPORT_DIR / f"{STEM}{suffix}"
    out = Path(out)
    if out.is_dir():
        return out / f"{STEM}{suffix}"
    if out.suffix.lower() in (".vtu", ".pvd") and out.suffix.lower() != suffix:
        kind = (
            "a time-dependent run exports a .pvd time series"
            if timed
            else ("a steady run exports one .vtu file")
        )
        raise ConfigError(f"-o {out}: {kind}; name it *{suffix}")
    return out if out.suffix.lower() == suffix else out.with_name(out.name + suffix)


def _write_vtu(path: Path, points, cell_type, cells, arrays: dict) -> None:
    import meshio

    mesh = meshio.Mesh(
        points,
        [(cell_type, cells)],
        point_data={k: np.ascontiguousarray(v.reshape(-1), dtype=float) for k, v in arrays.items()},
    )
    atomic_write(path, lambda tmp: meshio.write(tmp, mesh, file_format="vtu"))


def export_vtu(run_dir: str | Path, out: str | Path | None = None) -> list:
    """Write the evaluation grid of ``run_dir`` (its ``fields.npz``) as VTK files.

    A steady problem gives one ``.vtu`` (default ``RUN_DIR/export/fields.vtu``); a
    time-dependent one gives ``fields.pvd`` and one ``fields_NNNN.vtu`` per time level
    beside it. ``out`` is a file name (the suffix is added if missing) or an existing
    directory. Returns the written paths, the file to open in ParaView first.
    """
    run_dir = Path(run_dir)
    grid = read_grid(run_dir)
    space, time = grid["space"], grid["time"]
    target = _target(run_dir, out, time is not None)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {target.parent}: {exc.strerror or exc}") from None
    points, cell_type, cells = structured_mesh([grid["axes"][c] for c in space])
    arrays = point_data(grid)
    try:
        if time is None:
            _write_vtu(target, points, cell_type, cells, arrays)
            return [target]
        times = grid["axes"][time]
        width = max(4, len(str(len(times) - 1)))
        written, entries = [], []
        for k, t in enumerate(times):
            path = target.with_name(f"{target.stem}_{k:0{width}d}.vtu")
            _write_vtu(path, points, cell_type, cells, {n: a[..., k] for n, a in arrays.items()})
            written.append(path)
            entries.append((t, path.name))
        atomic_write(target, pvd_text(entries))  # last: it names only complete files
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    return [target, *written]
