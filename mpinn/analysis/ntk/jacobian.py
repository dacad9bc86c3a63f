"""Per-network residual Jacobians J_s = d r / d theta_s (float64).

Functional (``torch.func``): per point, field values and the input derivatives the
residuals need come from nested ``jacfwd`` in the coordinates, the compiled
:class:`~mpinn.compile.TorchExpr` residual expressions are evaluated on them, ``jacrev``
over the parameters gives the rows of that point, and ``vmap`` runs over chunks of points.
A reference implementation through :meth:`ResidualProgram.evaluate` (autograd with
``create_graph=True`` and a batched backward, ``is_grads_batched=True``) is kept for
cross-checks (``method="autograd"``).
"""

from __future__ import annotations

import torch


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


def jacobian_blocks(
    program,
    nets,
    sets: list,
    params: dict,
    chunk: int = 128,
    method: str = "func",
    progress=None,
) -> dict:
    """{field: J_s [rows, params_s]} (float64) for the stacked residuals of ``sets``.

    Row order: point set by point set, point-major (point i: its terms in order).
    ``method``: "func" (torch.func: vmap over points of jacrev over jacfwd-in-x) or
    "autograd" (ResidualProgram.evaluate with create_graph=True + batched backward).
    ``progress(done, total)``, if given, is called after each chunk of points.
    """
    names = _field_param_names(nets)
    sizes = {
        f: sum(dict(nets.named_parameters())[n].numel() for n in ns) for f, ns in names.items()
    }
    rows = sum(s.rows for s in sets)
    blocks = {f: torch.empty(rows, sizes[f], dtype=torch.float64) for f in nets.fields}
    start = 0
    n_chunks = sum(-(-s.points.shape[0] // chunk) for s in sets)
    done = 0
    for s in sets:
        d = s.points.shape[1]
        normals = s.normals if s.normals is not None else torch.zeros_like(s.points)
        fill = _func_rows if method == "func" else _autograd_rows
        for i in range(0, s.points.shape[0], chunk):
            pts, nrm = s.points[i : i + chunk], normals[i : i + chunk]
            grads = fill(program, nets, s.terms, params, pts, nrm, s.normals is not None)
            n_rows = pts.shape[0] * len(s.terms)
            for f in nets.fields:
                cols = [grads[n].reshape(n_rows, -1) for n in names[f]]
                blocks[f][start : start + n_rows] = torch.cat(cols, dim=1)
            start += n_rows
            done += 1
            if progress is not None:
                progress(done, n_chunks)
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
    res = program.evaluate(
        nets, pts, terms, params, nrm if has_normals else None, create_graph=True
    )
    r = torch.stack([res[t] for t in terms], dim=1).reshape(-1)
    eye = torch.eye(r.numel(), dtype=r.dtype)
    grads = torch.autograd.grad(
        r, [p for _, p in plist], grad_outputs=eye, is_grads_batched=True, allow_unused=True
    )
    out = {}
    for (name, p), g in zip(plist, grads):
        out[name] = (
            torch.zeros((r.numel(),) + tuple(p.shape), dtype=r.dtype) if g is None else g.detach()
        )
    return out
