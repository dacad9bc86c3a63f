"""Neural-tangent-kernel diagnostics for one-network-per-field PINNs (``mpinn ntk-check``).

For residual points X and parameters theta = (theta_1, ..., theta_S) (one block per field
network), r stacks the residual of every equation (optionally of every boundary/initial
condition too) at every point; J_s = d r / d theta_s is the residual Jacobian of network s.
Two kernels are reported:

* the NTK ``K = J J^T = sum_s J_s J_s^T``; for linear coupling of strength gamma its top
  eigenvalue grows like gamma^2 (PAPER.md claim 1), and ``2 / lambda_max(K)`` is the largest
  stable step of full-batch gradient descent on ``1/2 ||r||^2``;
* the block-Gauss–Newton-preconditioned NTK ``K_P = sum_s J_s (J_s^T J_s)^+ J_s^T
  = sum_s P_s``, a sum of orthogonal projectors onto range(J_s), so ``lambda_max(K_P) <= S``
  (claim 2), with equality when the ranges share a direction.

Numerics (everything in float64):

* Jacobians: functional (``torch.func``): per point, field values and the input derivatives
  the residuals need come from nested ``jacfwd`` in the coordinates, the compiled
  :class:`~mpinn.compile.TorchExpr` residual expressions are evaluated on them, ``jacrev``
  over the parameters gives the rows of that point, and ``vmap`` runs over chunks of points.
  A reference implementation through :meth:`ResidualProgram.evaluate` (autograd with
  ``create_graph=True`` and a batched backward, ``is_grads_batched=True``) is kept for
  cross-checks (``method="autograd"``).
* Projectors: thin SVD ``J_s = U S V^T``; the numerical rank is the number of singular
  values above ``rtol_s = max(rows, params_s) * eps_float64 * sigma_max(J_s)`` (the
  ``numpy.linalg.matrix_rank`` rule) and ``P_s = U_r U_r^T``; no P x P pseudo-inverse is
  ever formed. Above 1024 rows the basis comes from a certified randomized range finder
  (see :func:`range_basis`), since the numerical rank of smooth networks is small.
* Spectra: symmetric eigensolver (``torch.linalg.eigvalsh``).
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

EPS64 = float(np.finfo(np.float64).eps)
BOUND_RTOL = 1e-6  # lambda_max(K_P) <= S (1 + BOUND_RTOL) counts as "bound holds"
EQUALITY_ATOL = 1e-5  # |lambda_max(K_P) - S| < EQUALITY_ATOL counts as equality


# --- point sets --------------------------------------------------------------------------
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
    from .train import points_for

    out = []
    for group in setup.groups:
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


# --- Jacobians ---------------------------------------------------------------------------
def _field_param_names(nets) -> dict:
    """field -> the FieldNets parameter names of its network, in a fixed order."""
    names = {f: [] for f in nets.fields}
    for name, _ in nets.named_parameters():
        parts = name.split(".")
        if parts[0] == "nets" and parts[1] in names:
            names[parts[1]].append(name)
    return names


def _derivative_chain(fn, order: int):
    """x -> [D0, D1, ..., D_order] with D_k = k-th derivative tensor of fn at x (jacfwd)."""
    from torch.func import jacfwd

    def level0(x):
        return [fn(x)]

    chain = level0
    for _ in range(order):
        chain = _next_level(chain, jacfwd)
    return chain


def _next_level(inner, jacfwd):
    def with_aux(x):
        outs = inner(x)
        return outs[-1], outs

    def outer(x):
        jac, outs = jacfwd(with_aux, has_aux=True)(x)
        return list(outs) + [jac]

    return outer


class _FunctionalResidual:
    """r(theta, x, n) -> residuals of ``terms`` at one point ([T]), torch.func-transformable.

    Reuses the compiled TorchExpr of each term (``program.compiled``) and replaces the
    autograd-based :class:`~mpinn.compile.Batch` by forward-mode derivatives in x.
    """

    def __init__(self, program, nets, terms, params: dict):
        self.program = program
        self.nets = nets
        self.terms = list(terms)
        self.params = dict(params)
        self.compiled = [program.compiled(t) for t in self.terms]
        keys = program.needed(self.terms)
        self.order = max((len(k.columns) for k in keys), default=0)
        self.field_index = {f: i for i, f in enumerate(nets.fields)}

    def __call__(self, theta: dict, x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
        from torch.func import functional_call

        fields = self.nets.fields

        def field_values(y):
            out = functional_call(self.nets, theta, (y.unsqueeze(0),))
            return torch.stack([out[f].reshape(()) for f in fields])

        derivs = _derivative_chain(field_values, self.order)(x)
        pts = x.unsqueeze(0)
        env_base = self.program.leaf_values(pts, self.params, normal.unsqueeze(0))
        outs = []
        for fn, keys in self.compiled:
            env = dict(env_base)
            for k in keys:
                value = derivs[len(k.columns)][(self.field_index[k.field],) + tuple(k.columns)]
                env[k.symbol] = value.reshape(1)
            res = fn(env)[0]
            if not isinstance(res, torch.Tensor):
                res = torch.full((1,), float(res), dtype=x.dtype)
            outs.append(res.reshape(1))
        return torch.cat(outs)


def _theta(nets) -> dict:
    return {k: v.detach() for k, v in nets.named_parameters()}


def jacobian_blocks(program, nets, sets: list, params: dict, chunk: int = 128,
                    method: str = "func") -> dict:
    """{field: J_s [rows, params_s]} (float64) for the stacked residuals of ``sets``.

    Row order: point set by point set, point-major (point i: its terms in order).
    ``method``: "func" (torch.func: vmap over points of jacrev over jacfwd-in-x) or
    "autograd" (ResidualProgram.evaluate with create_graph=True + batched backward).
    """
    names = _field_param_names(nets)
    sizes = {f: sum(dict(nets.named_parameters())[n].numel() for n in ns)
             for f, ns in names.items()}
    rows = sum(s.rows for s in sets)
    blocks = {f: torch.empty(rows, sizes[f], dtype=torch.float64) for f in nets.fields}
    start = 0
    for s in sets:
        d = s.points.shape[1]
        normals = s.normals if s.normals is not None else torch.zeros_like(s.points)
        fill = _func_rows if method == "func" else _autograd_rows
        for i in range(0, s.points.shape[0], chunk):
            pts, nrm = s.points[i:i + chunk], normals[i:i + chunk]
            grads = fill(program, nets, s.terms, params, pts, nrm,
                         s.normals is not None)
            n_rows = pts.shape[0] * len(s.terms)
            for f in nets.fields:
                cols = [grads[n].reshape(n_rows, -1) for n in names[f]]
                blocks[f][start:start + n_rows] = torch.cat(cols, dim=1)
            start += n_rows
        del d
    return blocks


def _func_rows(program, nets, terms, params, pts, nrm, has_normals):
    from torch.func import jacrev, vmap

    fn = _FunctionalResidual(program, nets, terms, params)
    theta = _theta(nets)
    jac = vmap(jacrev(fn, argnums=0), in_dims=(None, 0, 0))(theta, pts, nrm)
    return jac  # name -> [n, T, *shape]


def _autograd_rows(program, nets, terms, params, pts, nrm, has_normals):
    plist = list(nets.named_parameters())
    pts = pts.detach().clone().requires_grad_(True)
    res = program.evaluate(nets, pts, terms, params, nrm if has_normals else None,
                           create_graph=True)
    r = torch.stack([res[t] for t in terms], dim=1).reshape(-1)
    eye = torch.eye(r.numel(), dtype=r.dtype)
    grads = torch.autograd.grad(r, [p for _, p in plist], grad_outputs=eye,
                                is_grads_batched=True, allow_unused=True)
    out = {}
    for (name, p), g in zip(plist, grads):
        out[name] = torch.zeros((r.numel(),) + tuple(p.shape), dtype=r.dtype) if g is None \
            else g.detach()
    return out


# --- spectra -----------------------------------------------------------------------------
def range_basis(J: torch.Tensor, method: str = "auto", generator=None) -> dict:
    """Orthonormal basis of the numerical range of J, with its numerical rank.

    rank = #{sigma_i > tol}, tol = max(rows, cols) * eps_float64 * sigma_max
    (numpy.linalg.matrix_rank's rule); the basis is the leading left singular vectors.

    ``method``:
    * "svd": thin SVD (for a wide J: QR of the tall J^T, then SVD of the square R^T —
      the same singular values and left vectors);
    * "sketch": certified randomized range finder (Halko, Martinsson & Tropp 2011):
      Q = orth(J Omega) with k columns, B = Q^T J, thin SVD of B. It is accepted only when
      the remainder E = J - Q B has ||E||_2 <= tol (power-iteration estimate, x2 safety),
      so every direction with sigma > tol is in range(Q) and the singular values of B
      match those of J to within ||E||_2 (Weyl); otherwise k doubles, and past rows/2 it
      falls back to "svd". Much cheaper when the numerical rank is far below the number of
      rows (smooth networks: typically a few percent);
    * "auto": "svd" up to 1024 rows, "sketch" above.

    Returns {"U": [rows, rank], "sv": singular values, "tol", "rank", "method",
    "residual": certified ||E||_2 estimate (0 for svd)}.
    """
    J = J.to(torch.float64)
    rows, cols = J.shape
    if method == "auto":
        method = "svd" if rows <= 1024 else "sketch"
    if J.numel() == 0:
        return {"U": J.new_zeros(rows, 0), "sv": J.new_zeros(0), "tol": 0.0, "rank": 0,
                "method": method, "residual": 0.0}
    if method == "sketch":
        out = _sketch_basis(J, generator)
        if out is not None:
            return out
        method = "svd"
    if cols > rows:
        _, R = torch.linalg.qr(J.T, mode="reduced")
        U, sv, _ = torch.linalg.svd(R.T, full_matrices=False)
    else:
        U, sv, _ = torch.linalg.svd(J, full_matrices=False)
    tol = max(rows, cols) * EPS64 * float(sv[0])
    rank = int((sv > tol).sum())
    return {"U": U[:, :rank], "sv": sv, "tol": tol, "rank": rank, "method": "svd",
            "residual": 0.0}


def _spectral_norm_estimate(E: torch.Tensor, generator, iters: int = 30) -> float:
    x = torch.randn(E.shape[1], dtype=E.dtype, generator=generator)
    est = 0.0
    for _ in range(iters):
        y = E @ x
        ny = float(torch.linalg.vector_norm(y))
        if ny == 0.0:
            return 0.0
        x = E.T @ (y / ny)
        est = float(torch.linalg.vector_norm(x))
        x = x / est
    return est


def _sketch_basis(J: torch.Tensor, generator=None):
    rows, cols = J.shape
    gen = generator or torch.Generator().manual_seed(1234)
    smax = _spectral_norm_estimate(J, gen, iters=50)  # refined by B's SVD below
    k = min(rows, 192)
    while k <= rows // 2:
        omega = torch.randn(cols, k, dtype=J.dtype, generator=gen)
        Q, _ = torch.linalg.qr(J @ omega, mode="reduced")
        B = Q.T @ J
        _, Rb = torch.linalg.qr(B.T, mode="reduced")
        Ub, sv, _ = torch.linalg.svd(Rb.T, full_matrices=False)
        smax = max(smax, float(sv[0]))
        tol = max(rows, cols) * EPS64 * smax
        rank = int((sv > tol).sum())
        E = J - Q @ B
        residual = 2.0 * _spectral_norm_estimate(E, gen)
        if residual <= tol and rank < k - 8:
            return {"U": Q @ Ub[:, :rank], "sv": sv, "tol": tol, "rank": rank,
                    "method": "sketch", "residual": residual}
        k *= 2
    return None


def kernel_spectra(blocks: dict, basis: str = "auto") -> dict:
    """Eigenvalues of K = sum J_s J_s^T and K_P = sum P_s, and per-block rank data.

    The nonzero eigenvalues of K_P = W W^T, W = [U_1 ... U_S], are those of the smaller
    W^T W when sum of ranks < rows (the rest are 0).
    """
    fields = list(blocks)
    rows = next(iter(blocks.values())).shape[0]
    K = torch.zeros(rows, rows, dtype=torch.float64)
    bases = []
    nets = {}
    clock = {"K_gram_s": 0.0, "bases_s": 0.0}
    for f in fields:
        J = blocks[f]
        t = time.perf_counter()
        K.addmm_(J, J.T)
        clock["K_gram_s"] += time.perf_counter() - t
        t = time.perf_counter()
        b = range_basis(J, basis)
        clock["bases_s"] += time.perf_counter() - t
        bases.append(b["U"])
        sv = b["sv"]
        nets[f] = {"params": int(J.shape[1]), "shape": [int(J.shape[0]), int(J.shape[1])],
                   "rank": b["rank"], "sigma_max": float(sv[0]) if sv.numel() else 0.0,
                   "rank_tol": float(b["tol"]), "basis": b["method"],
                   "range_residual": b["residual"],
                   "enough_params": bool(J.shape[1] >= rows),
                   "full_row_rank": bool(b["rank"] == rows)}
    t = time.perf_counter()
    K = 0.5 * (K + K.T)
    eK = torch.linalg.eigvalsh(K)
    clock["eig_K_s"] = time.perf_counter() - t
    t = time.perf_counter()
    W = torch.cat(bases, dim=1)
    if W.shape[1] < rows:
        small = W.T @ W
        eKP = torch.linalg.eigvalsh(0.5 * (small + small.T))
        eKP = torch.cat([eKP.new_zeros(rows - W.shape[1]), eKP])
    else:
        KP = W @ W.T
        eKP = torch.linalg.eigvalsh(0.5 * (KP + KP.T))
    clock["eig_KP_s"] = time.perf_counter() - t
    return {"K": eK, "KP": eKP, "networks": nets, "timings": clock}


def summarize(spectra: dict, params: dict, rows_by_set: list) -> dict:
    eK, eKP, nets = spectra["K"], spectra["KP"], spectra["networks"]
    S = len(nets)
    rows = int(eK.numel())
    lmax, lmin = float(eK[-1]), float(eK[0])
    kp_max = float(eKP[-1])
    singular = lmin <= rows * EPS64 * lmax
    enough = all(n["enough_params"] for n in nets.values())
    return {
        "params": dict(params),
        "rows": rows,
        "rows_by_set": rows_by_set,
        "lambda_max_K": lmax,
        "lambda_min_K": lmin,
        "cond_K": (lmax / lmin) if lmin > 0 else None,
        "K_numerically_singular": bool(singular),
        "lambda_max_KP": kp_max,
        "lambda_min_KP": float(eKP[0]),
        "KP_top": [float(v) for v in eKP.flip(0)[:4]],
        "S": S,
        "S_minus_lambda_max_KP": S - kp_max,
        "bound_holds": bool(kp_max <= S * (1 + BOUND_RTOL)),
        "equality": bool(abs(kp_max - S) < EQUALITY_ATOL),
        "every_net_enough_params": bool(enough),
        "lr_max_K": 2.0 / lmax if lmax > 0 else None,
        "lr_max_KP": 2.0 / kp_max if kp_max > 0 else None,
        "networks": nets,
    }


def fit_exponent(xs, ys):
    """Least-squares slope of log y vs log x on the upper half of the (log) range.

    Upper half: x >= sqrt(min x * max x); at least the two largest values are used.
    Returns (slope, intercept, x values used) or (None, None, []).
    """
    pairs = sorted((float(x), float(y)) for x, y in zip(xs, ys) if x > 0 and y > 0)
    if len(pairs) < 2 or pairs[0][0] == pairs[-1][0]:
        return None, None, []
    mid = math.sqrt(pairs[0][0] * pairs[-1][0])
    used = [p for p in pairs if p[0] >= mid * (1 - 1e-12)]
    if len(used) < 2:
        used = pairs[-2:]
    lx = np.log([p[0] for p in used])
    ly = np.log([p[1] for p in used])
    slope, intercept = np.polyfit(lx, ly, 1)
    return float(slope), float(intercept), [p[0] for p in used]


# --- the whole check ---------------------------------------------------------------------
@dataclass
class NtkReport:
    problem: str
    S: int
    sweep_name: str | None
    results: list
    fit: tuple = (None, None, [])
    info: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        slope, intercept, used = self.fit
        return {"problem": self.problem, "S": self.S, "sweep": self.sweep_name,
                "fit_exponent": slope, "fit_intercept": intercept, "fit_values": used,
                "fit_rule": "least squares of log lambda_max(K) vs log param, values >= "
                            "sqrt(min*max) of the sweep",
                "rank_rule": "rank = #{sigma > max(rows, params) * eps64 * sigma_max}",
                "bound_rule": f"lambda_max(K_P) <= S * (1 + {BOUND_RTOL:g})",
                "equality_rule": f"|lambda_max(K_P) - S| < {EQUALITY_ATOL:g}",
                **self.info, "results": self.results}


def float64_nets(nets):
    """A float64 copy of FieldNets (the original is left alone)."""
    out = copy.deepcopy(nets).to(torch.float64)
    for p in out.parameters():
        p.requires_grad_(True)
    return out


def ntk_check(setup, sweep: tuple | None = None, include_conditions: bool = False,
              chunk: int = 128, method: str = "func", basis: str = "auto",
              progress=None) -> NtkReport:
    """Run the check on a built Setup (its networks, its sampler at step 0).

    ``sweep``: (name, [values]) — the same networks and points, residual parameters
    changed (the networks' parameter environment, used by features/output transforms, is
    updated too). Without a sweep the setup's parameter values are used.
    """
    nets = float64_nets(setup.nets)
    sets = point_sets(setup, include_conditions)
    rows_by_set = [{"kind": s.kind, "terms": s.terms, "points": int(s.points.shape[0]),
                    "rows": s.rows} for s in sets]
    base = dict(setup.values)
    if sweep is None:
        cases = [base]
    else:
        name, values = sweep
        cases = [setup.problem.param_values({**setup.cfg.params, name: v}) for v in values]
    results = []
    t0 = time.perf_counter()
    for values in cases:
        nets.params = dict(values)
        tj = time.perf_counter()
        blocks = jacobian_blocks(setup.program, nets, sets, values, chunk=chunk, method=method)
        ts = time.perf_counter()
        spectra = kernel_spectra(blocks, basis)
        del blocks
        summary = summarize(spectra, values, rows_by_set)
        summary["time_jacobian_s"] = ts - tj
        summary["time_spectra_s"] = time.perf_counter() - ts
        summary["timings"] = spectra["timings"]
        results.append(summary)
        if progress is not None:
            progress(summary)
    fit = (None, None, [])
    if sweep is not None and len(sweep[1]) >= 2:
        fit = fit_exponent(sweep[1], [r["lambda_max_K"] for r in results])
    info = {"include_conditions": include_conditions, "jacobian": method, "basis": basis,
            "time_total_s": time.perf_counter() - t0}
    return NtkReport(setup.problem.name, len(nets.fields), sweep[0] if sweep else None,
                     results, fit, info)


# --- output ------------------------------------------------------------------------------
def render(report: NtkReport, console) -> None:
    from rich.table import Table

    js = report.to_json()
    title = f"{report.problem}: NTK spectra (S = {report.S} networks, float64)"
    from rich import box

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  padding=(0, 0), collapse_padding=True)
    if report.sweep_name:
        table.add_column(report.sweep_name, justify="right")
    for col in ("rows", "λmax(K)", "λmin(K)", "λmax(K_P)", "S−λmax(K_P)", "bound",
                "2/λmax(K)", "ranks"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in report.results:
        cells = []
        if report.sweep_name:
            cells.append(f"{r['params'][report.sweep_name]:g}")
        ranks = ",".join(str(n["rank"]) for n in r["networks"].values())
        bound = ("[green]ok[/green]" if r["bound_holds"] else "[red]VIOLATED[/red]") + \
            ("=S" if r["equality"] else "")
        cells += [str(r["rows"]), f"{r['lambda_max_K']:.3e}", f"{r['lambda_min_K']:.0e}",
                  f"{r['lambda_max_KP']:.9f}", f"{r['S_minus_lambda_max_KP']:.0e}", bound,
                  f"{r['lr_max_K']:.2e}" if r["lr_max_K"] else "—", ranks]
        table.add_row(*cells)
    console.print(table)
    first = report.results[0]
    console.print("networks (ranks column in this order): " + ", ".join(
        f"{f} {n['params']} params, J {n['shape'][0]}x{n['shape'][1]}"
        for f, n in first["networks"].items()) + f"; 2/λmax(K_P) = "
        f"{first['lr_max_KP']:.4f} (≥ 2/S)", highlight=False)
    if any(r["K_numerically_singular"] for r in report.results):
        console.print("K is numerically singular (λmin(K) <= rows·eps·λmax): cond(K) = ∞ "
                      "in floating point; see the ranks.", highlight=False)
    for line in notes(report):
        console.print(line, highlight=False)
    if js["fit_exponent"] is not None:
        used = ", ".join(f"{v:g}" for v in js["fit_values"])
        console.print(f"fitted exponent of λmax(K) in {report.sweep_name} (log-log least "
                      f"squares over {used}): [bold]{js['fit_exponent']:.3f}[/bold] "
                      "(theory: 2 for linear coupling)")


def notes(report: NtkReport) -> list:
    out = []
    first = report.results[0]
    for f, n in first["networks"].items():
        if not n["enough_params"]:
            out.append(f"note: network '{f}' has {n['params']} parameters < {first['rows']} "
                       "rows: P_{f} has rank <= params, λmax(K_P) = S is not guaranteed; "
                       "the value above is what it is.")
    deficient = sorted({f for r in report.results for f, n in r["networks"].items()
                        if n["enough_params"] and not n["full_row_rank"]})
    if deficient:
        ranks = ", ".join(f"{f}: rank {first['networks'][f]['rank']} of {first['rows']} rows"
                          for f in deficient)
        out.append(f"note: numerically rank-deficient Jacobians ({ranks}; "
                   "rtol = max(rows, params)·eps·σmax): P_s projects onto a proper subspace, "
                   "so λmax(K_P) = S only if the ranges share a direction.")
    if not all(r["equality"] for r in report.results):
        out.append("note: λmax(K_P) differs from S by more than "
                   f"{EQUALITY_ATOL:g} at some values (see S−λmax(K_P)).")
    if not all(r["bound_holds"] for r in report.results):
        out.append("[red]the bound λmax(K_P) <= S is violated — a numerical problem[/red]")
    return out


def plot(report: NtkReport, path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    S = report.S
    if report.sweep_name:
        xs = [r["params"][report.sweep_name] for r in report.results]
        ax.loglog(xs, [r["lambda_max_K"] for r in report.results], "o-",
                  label=r"$\lambda_{\max}(K)$, $K = JJ^T$")
        ax.loglog(xs, [r["lambda_max_KP"] for r in report.results], "s-",
                  label=r"$\lambda_{\max}(K_P)$, $K_P=\sum_s P_s$")
        ax.axhline(S, color="k", ls=":", lw=1, label=f"S = {S}")
        slope, intercept, used = report.fit
        if slope is not None:
            grid = np.geomspace(min(used), max(used), 20)
            ax.loglog(grid, np.exp(intercept) * grid ** slope, "--", color="C3",
                      label=f"fit: slope {slope:.2f}")
        ax.set_xlabel(report.sweep_name)
        ax.set_ylabel("largest eigenvalue")
    else:  # one parameter set: the two spectra
        r = report.results[0]
        ax.set_title("eigenvalues, descending")
        ax.text(0.02, 0.02, f"λmax(K) = {r['lambda_max_K']:.3e}, "
                f"λmax(K_P) = {r['lambda_max_KP']:.8f}", transform=ax.transAxes)
        ax.axhline(S, color="k", ls=":", lw=1, label=f"S = {S}")
        ax.set_yscale("log")
        ax.set_xlabel("index")
    ax.set_title(f"{report.problem}: NTK vs block-GN preconditioned NTK")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --- command line ------------------------------------------------------------------------
def parse_sweep(text: str, problem) -> tuple:
    from .cli import UsageError

    if "=" not in text:
        raise UsageError(f"--sweep expects NAME=v1,v2,..., got '{text}'")
    name, raw = text.split("=", 1)
    name = name.strip()
    if name not in problem.params:
        from .lang.diagnostics import did_you_mean

        hint = did_you_mean(name, problem.params) or \
            f"parameters: {', '.join(problem.params) or 'none'}"
        raise UsageError(f"--sweep {name}: '{problem.name}' has no parameter '{name}' ({hint})")
    values = []
    for item in raw.split(","):
        try:
            v = float(item.strip())
        except ValueError:
            raise UsageError(f"--sweep {name}: '{item}' is not a number") from None
        if not math.isfinite(v):
            raise UsageError(f"--sweep {name}: '{item}' is not a finite number")
        values.append(v)
    if not values:
        raise UsageError(f"--sweep {name}: no values")
    return name, values


def cmd_ntk_check(args, console) -> int:
    from . import config, results, train
    from .cli import UsageError, overrides_from_args, problem_path
    from .config import ConfigError
    from .symbolic import load

    path = problem_path(args.file)
    problem = load(path)
    sweep = parse_sweep(args.sweep, problem) if args.sweep else None
    if args.points is not None and args.points < 1:
        raise UsageError("--points must be at least 1")
    if args.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    run_dir = Path(args.run_dir) if args.run_dir else None
    cfg_path = args.config
    if run_dir is not None:
        if not (run_dir / "config.yaml").is_file() or not (run_dir / "model.pt").is_file():
            raise UsageError(f"{run_dir} is not a run directory (needs config.yaml and model.pt)")
        if cfg_path is not None:
            raise UsageError("--run and --config are exclusive (the run has its config)")
        cfg_path = run_dir / "config.yaml"
    overrides = overrides_from_args(args, problem)
    overrides = config.merge(overrides, {"dtype": "float64", "device": "cpu"})
    if args.points is not None:
        overrides = config.set_dotted(overrides, "sampling.interior", args.points)
    if args.method is not None:
        overrides = config.set_dotted(overrides, "sampling.method", args.method)
    cfg = config.resolve(path, cfg_path, overrides)
    try:
        setup = train.build(problem, cfg)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if run_dir is not None:
        try:
            results.load_model(run_dir / "model.pt", setup.nets)
        except (RuntimeError, KeyError, OSError) as exc:
            raise UsageError(f"cannot load {run_dir / 'model.pt'} into the networks of "
                             f"{problem.name}: {exc}") from None
    report = ntk_check(setup, sweep, include_conditions=args.include_conditions,
                       chunk=args.chunk, basis=args.basis)
    report.info.update({"points": cfg.sampling.interior, "seed": cfg.seed,
                        "sampling": cfg.sampling.method, "run": str(run_dir) if run_dir else None,
                        "net": {"width": cfg.net.width, "depth": cfg.net.depth,
                                "activation": cfg.net.activation}})
    render(report, console)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        console.print(f"wrote {args.json}")
    if args.plot:
        console.print(f"wrote {plot(report, args.plot)}")
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "ntk-check", help="NTK and block-Gauss–Newton preconditioned NTK spectra "
                          "(λmax growth with coupling, λmax(K_P) <= S)")
    p.add_argument("file", help="problem file (.mp) or the name of a shipped problem")
    p.add_argument("--run", dest="run_dir", metavar="DIR", help="run directory: use its config.yaml and trained model.pt")
    p.add_argument("--points", type=int, help="interior residual points "
                   "(default: the config's sampling.interior)")
    p.add_argument("--include-conditions", action="store_true",
                   help="also stack the boundary/initial condition residuals into r")
    p.add_argument("--sweep", metavar="NAME=v1,v2,...",
                   help="recompute for each value of a parameter (same networks and points)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG (λmax vs swept parameter)")
    p.add_argument("--seed", type=int, help="network initialisation and point seed")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="problem parameter or config key override; repeatable")
    p.add_argument("--config", help="YAML file with settings (net architecture, sampling)")
    p.add_argument("--method", choices=["uniform", "sobol"], help="point sampling method")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--basis", choices=["auto", "svd", "sketch"], default="auto",
                   help="range basis per network: thin SVD, certified randomized sketch, "
                        "or auto (svd up to 1024 rows)")
    p.add_argument("--chunk", type=int, default=128, help="points per vmap chunk")
    p.set_defaults(run=cmd_ntk_check)
