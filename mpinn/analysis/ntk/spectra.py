"""Spectra of K = J Jᵀ and of the block-Gauss–Newton-preconditioned K_P = Σ_s P_s.

* Projectors: thin SVD ``J_s = U S V^T``; the numerical rank is the number of singular
  values above ``rtol_s = max(rows, params_s) * eps_float64 * sigma_max(J_s)`` (the
  ``numpy.linalg.matrix_rank`` rule) and ``P_s = U_r U_r^T``; no P x P pseudo-inverse is
  ever formed. Above 1024 rows the basis comes from a certified randomized range finder
  (see :func:`range_basis`), since the numerical rank of smooth networks is small.
* Spectra: symmetric eigensolver (``torch.linalg.eigvalsh``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

EPS64 = float(np.finfo(np.float64).eps)
BOUND_RTOL = 1e-6  # lambda_max(K_P) <= S (1 + BOUND_RTOL) counts as "bound holds"
EQUALITY_ATOL = 1e-5  # |lambda_max(K_P) - S| < EQUALITY_ATOL counts as equality


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
        return {
            "U": J.new_zeros(rows, 0),
            "sv": J.new_zeros(0),
            "tol": 0.0,
            "rank": 0,
            "method": method,
            "residual": 0.0,
        }
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
    return {"U": U[:, :rank], "sv": sv, "tol": tol, "rank": rank, "method": "svd", "residual": 0.0}


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
            return {
                "U": Q @ Ub[:, :rank],
                "sv": sv,
                "tol": tol,
                "rank": rank,
                "method": "sketch",
                "residual": residual,
            }
        k *= 2
    return None


def kernel_spectra(blocks: dict, basis: str = "auto", progress=None) -> dict:
    """Eigenvalues of K = sum J_s J_s^T and K_P = sum P_s, and per-block rank data.

    The nonzero eigenvalues of K_P = W W^T, W = [U_1 ... U_S], are those of the smaller
    W^T W when sum of ranks < rows (the rest are 0). ``progress(text)``, if given, hears
    of each stage (a network's range basis, the eigenvalues).
    """
    fields = list(blocks)
    rows = next(iter(blocks.values())).shape[0]
    K = torch.zeros(rows, rows, dtype=torch.float64)
    bases = []
    nets = {}
    clock = {"K_gram_s": 0.0, "bases_s": 0.0}
    for i, f in enumerate(fields):
        J = blocks[f]
        if progress is not None:
            progress(f"range basis of {f} ({i + 1}/{len(fields)})")
        t = time.perf_counter()
        K.addmm_(J, J.T)
        clock["K_gram_s"] += time.perf_counter() - t
        t = time.perf_counter()
        b = range_basis(J, basis)
        clock["bases_s"] += time.perf_counter() - t
        bases.append(b["U"])
        sv = b["sv"]
        nets[f] = {
            "params": int(J.shape[1]),
            "shape": [int(J.shape[0]), int(J.shape[1])],
            "rank": b["rank"],
            "sigma_max": float(sv[0]) if sv.numel() else 0.0,
            "rank_tol": float(b["tol"]),
            "basis": b["method"],
            "range_residual": b["residual"],
            "enough_params": bool(J.shape[1] >= rows),
            "full_row_rank": bool(b["rank"] == rows),
        }
    if progress is not None:
        progress("eigenvalues of K and K_P")
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
