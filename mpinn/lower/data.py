"""The inverse-problem pass: ``unknown`` parameters and ``data`` statements.

``unknown k = 0.5 in [0.01, 10]`` declares a parameter that is trained with the networks
(the model keeps it inside its bounds by a smooth reparametrisation); it may be used
wherever a parameter may, except in the domain's bounds (the geometry is fixed).

``data obs: u, v from "obs.csv"`` reads measured values of fields: a CSV file whose header
names the coordinates and the fields (any order, extra columns ignored), or an NPZ file with
one array per coordinate and field. The path is relative to the .mp file. Each field gives
one loss term, ``u(points) - values``, balanced like any other. The file is checked here —
readable, the columns present, numbers finite, points inside the domain — so a bad file is
a diagnostic at the statement, never a failure after training has started.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..ir import DataSet, Param, Term, TermKind, data_symbol, to_float
from ..lang import ast
from ..lang.diagnostics import MpError
from .scope import PARAM_SCOPE

MAX_DATA_BYTES = 200_000_000  # a data file is read whole: refuse what cannot be meant
MAX_DATA_ROWS = 5_000_000


def unknown(low, st: ast.UnknownStmt) -> None:
    low.define(st.name, "parameter")
    name = st.name.name
    guess = low.scalar(low.expr(st.expr, PARAM_SCOPE), st.expr)
    values = low.param_values()
    try:
        g = to_float(guess, values)
    except (ValueError, TypeError) as exc:
        low.names.pop(name)
        raise MpError(
            f"the initial guess of '{name}' has no finite value: {exc}", st.expr.span
        ) from None
    bounds = None
    if st.bounds is not None:
        lo = low.scalar(low.expr(st.bounds[0], PARAM_SCOPE), st.bounds[0])
        hi = low.scalar(low.expr(st.bounds[1], PARAM_SCOPE), st.bounds[1])
        try:
            a, b = to_float(lo, values), to_float(hi, values)
        except (ValueError, TypeError) as exc:
            low.names.pop(name)
            raise MpError(f"a bound of '{name}' has no finite value: {exc}", st.span) from None
        if not a < g < b:
            low.names.pop(name)
            raise MpError(
                f"the initial guess {g:g} of '{name}' is not strictly inside [{a:g}, {b:g}]",
                st.expr.span,
                "a bounded unknown starts inside its bounds",
            )
        bounds = (lo, hi)
    low.params[name] = Param(name, guess, st.span, unknown=True, bounds=bounds)


def check_fixed_geometry(low, exprs, span) -> None:
    """The domain's bounds may not depend on an unknown."""
    unknowns = {n for n, p in low.params.items() if p.unknown}
    for e in exprs:
        used = sorted(s.name for s in e.free_symbols if s.name in unknowns)
        if used:
            raise MpError(
                f"the domain depends on the unknown '{used[0]}'",
                span,
                "the geometry is fixed; unknowns may appear in equations, conditions, "
                "outputs and lets",
            )


def data(low, st: ast.DataStmt) -> None:
    import numpy as np  # only problems with data pay for it (mpinn check starts fast)

    low.need_domain(st)
    name = st.name.name
    if name in low.term_names:
        raise MpError(f"duplicate term name '{name}'", st.name.span)
    for ident in st.fields:
        low.need_field(ident, "data gives values of fields")
    fields = tuple(i.name for i in st.fields)
    path = _resolve(low.filename, st.path)
    coords = [str(c) for c in low.coords()]
    table = _read(path, st)
    missing = [c for c in coords + list(fields) if c not in table]
    if missing:
        raise MpError(
            f"{st.path} has no column '{missing[0]}'",
            st.span,
            f"columns needed: {', '.join(coords + list(fields))}; "
            f"found: {', '.join(table) or 'none'}",
        )
    points = np.stack([table[c] for c in coords], axis=1)
    values = {f: table[f] for f in fields}
    _check_values(st, points, values, coords)
    _check_inside(low, st, points, coords)
    low.define(st.name, "data")
    dataset = DataSet(name, fields, str(path), points, values, st.span)
    low.data[name] = dataset
    for f in fields:
        term = dataset.term_name(f)
        low.term_names[term] = st.span
        low.data_terms.append(
            Term(term, TermKind.DATA, low.func(f), data_symbol(name, f), fields=(f,), span=st.span)
        )


def _resolve(filename: str, written: str) -> Path:
    base = Path(filename).parent if filename not in ("<input>", "") else Path.cwd()
    return (base / written).resolve()


def _read(path: Path, st) -> dict:
    """{column: float64 array} from a CSV (header row) or NPZ file."""
    import numpy as np

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MpError(f"cannot read data file {st.path}: {exc.strerror or exc}", st.span) from None
    if size > MAX_DATA_BYTES:
        raise MpError(f"data file {st.path} is larger than {MAX_DATA_BYTES // 10**6} MB", st.span)
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                table = {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}
            shapes = {k: v.shape for k, v in table.items()}
            bad = [k for k, sh in shapes.items() if len(sh) != 1]
            if bad:
                raise ValueError(f"array '{bad[0]}' has shape {shapes[bad[0]]}, not (n,)")
        else:
            table = _read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise MpError(f"cannot read data file {st.path}: {exc}", st.span) from None
    lengths = {len(v) for v in table.values()}
    if len(lengths) > 1:
        raise MpError(f"the columns of {st.path} have different lengths", st.span)
    if not table or lengths == {0}:
        raise MpError(f"data file {st.path} has no rows", st.span)
    return table


def _read_csv(path: Path) -> dict:
    import numpy as np

    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for i, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise ValueError(f"line {i} has {len(row)} values, the header {len(header)}")
            try:
                rows.append([float(c) for c in row])
            except ValueError:
                raise ValueError(f"line {i}: not a number in {row}") from None
            if len(rows) > MAX_DATA_ROWS:
                raise ValueError(f"more than {MAX_DATA_ROWS} rows")
    if len(set(header)) != len(header):
        raise ValueError("the header names a column twice")
    arr = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header))
    return {h: arr[:, i] for i, h in enumerate(header)}


def _check_values(st, points, values, coords) -> None:
    import numpy as np

    for name, arr in [*zip(coords, points.T), *values.items()]:
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise MpError(
                f"{st.path}: column '{name}' has a non-finite value in data row {bad[0] + 1}",
                st.span,
                "remove or fill the row",
            )


def _check_inside(low, st, points, coords) -> None:
    import numpy as np

    vals = low.param_values()
    bounds = list(low.bounds) + ([low.time_bounds] if low.time is not None else [])
    for i, (lo, hi) in enumerate(bounds):
        a, b = to_float(lo, vals), to_float(hi, vals)
        tol = 1e-9 * max(1.0, abs(a), abs(b))
        out = np.flatnonzero((points[:, i] < a - tol) | (points[:, i] > b + tol))
        if out.size:
            r = out[0]
            raise MpError(
                f"{st.path}: data row {r + 1} lies outside the domain "
                f"({coords[i]} = {points[r, i]:g} not in [{a:g}, {b:g}])",
                st.span,
            )
