"""Where a trained eof2d run's momentum residuals are large: |stokes_x|, |stokes_y| on a
coarse x grid at a few distances from the lower wall. This is how round 3 of docs/eof.md
found the residual sitting on the patch edges at every height. With --reference, also the
flow rate (integral of u over y) and the centreline flow pressure
q = Pi + (sqrt(c+ c-) - 1)/eps^2 along x, PINN against reference: the flow-rate mode.
From a finished run's fields.npz, also where v's and the salt's errors sit (round 4).

    python benchmarks/eof_residual_map.py runs/final2/B-eps0.05-soap \
        --reference runs/reference/eof2d_eps0.05.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from mpinn import config, runs, train
from mpinn.compile import ResidualProgram
from mpinn.lower import load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", help="run directory (problem.mp, config.yaml, model.pt)")
    ap.add_argument("--terms", default="stokes_x,stokes_y")
    ap.add_argument("--reference", help="reference .npz: also compare flow rate and q")
    args = ap.parse_args()
    torch.set_num_threads(1)
    run = Path(args.run)
    problem = load(run / "problem.mp")
    cfg = config.resolve(run / "problem.mp", run / "config.yaml", {"reference": {"solver": None}})
    setup = train.build(problem, cfg)
    runs.load_model(run / "model.pt", setup.nets)
    values = problem.param_values(cfg.params)
    eps = values["eps"]
    xs = np.linspace(0.0, values["L"], 21)
    ys = np.array([-1 + eps, -1 + 3 * eps, -1 + 10 * eps, -0.6, -0.3, 0.0])
    X = torch.tensor([(a, b) for b in ys for a in xs], dtype=torch.float32)
    res = ResidualProgram(problem).evaluate(setup.nets, X, args.terms.split(","), values)
    print("x      " + " ".join(f"{a:6.2f}" for a in xs))
    for name, r in res.items():
        r = r.detach().reshape(len(X), -1).norm(dim=1).reshape(len(ys), len(xs)).numpy()
        print(name)
        for j, y in enumerate(ys):
            print(f"y={y:5.2f}" + " ".join(f"{v:6.1f}" for v in r[j]))
    if args.reference:
        flow_rate_and_pressure(setup, np.load(args.reference), eps)
    if (run / "fields.npz").is_file():
        where_the_errors_are(np.load(run / "fields.npz"), values, eps)


def flow_rate_and_pressure(setup, ref, eps: float) -> None:
    """Q(x) = integral of u dy and the centreline q(x), PINN and reference, at 11 stations."""
    xr, yr = ref["x"], ref["y"]
    yq = np.linspace(-1.0, 1.0, 2001)
    rows = {"Q pinn": [], "Q ref": [], "q pinn": [], "q ref": []}
    centre = int(np.argmin(np.abs(yr)))
    stations = np.linspace(0, len(xr) - 1, 11).astype(int)
    for i in stations:
        X = torch.tensor(np.stack([np.full_like(yq, xr[i]), yq], 1), dtype=torch.float32)
        f = {k: v.detach().numpy().ravel() for k, v in train.predict(setup, X).items()}
        rows["Q pinn"].append(np.trapezoid(f["u"], yq))
        rows["Q ref"].append(np.trapezoid(np.interp(yq, yr, ref["u"][i]), yq))
        m = len(yq) // 2
        rows["q pinn"].append(f["Pi"][m] + (np.sqrt(f["cp"][m] * f["cm"][m]) - 1) / eps**2)
        c = np.sqrt(ref["cp"][i, centre] * ref["cm"][i, centre])
        rows["q ref"].append(ref["Pi"][i, centre] + (c - 1) / eps**2)
    print("x      " + " ".join(f"{xr[i]:6.2f}" for i in stations))
    for name, vals in rows.items():
        print(f"{name:7s}" + " ".join(f"{v:6.2f}" for v in vals))


def where_the_errors_are(d, values: dict, eps: float) -> None:
    """From the run's fields.npz (PINN and reference on the evaluation grid): the share of
    v's squared error near the walls, near the patch edges and in the end sections, and the
    bulk salt sqrt(c+ c-) and q = Pi + (salt - 1)/eps^2 where Pi's error is largest."""
    X, Y = np.meshgrid(d["axis_x"], d["axis_y"], indexing="ij")
    e = d["pred_v"] - d["exact_v"]
    edges = (np.abs(X - values["a"]) < 0.3) | (np.abs(X - values["b"]) < 0.3)
    for name, m in (
        ("|y| > 0.9", np.abs(Y) > 0.9),
        ("within 0.3 of x = a, b", edges),
        ("x < 1 or x > L - 1", (X < 1) | (X > values["L"] - 1)),
    ):
        print(
            f"v: {(e[m] ** 2).sum() / (e**2).sum():.2f} of the squared error {name} "
            f"({m.mean():.2f} of the area)"
        )
    i, j = np.unravel_index(np.abs(e).argmax(), X.shape)
    print(
        f"v: largest error {abs(e[i, j]):.3g} (max |v| {np.abs(d['exact_v']).max():.3g}) "
        f"at x = {X[i, j]:.2f}, y = {Y[i, j]:.3f}"
    )
    salt = {k: np.sqrt(d[f"{k}_cp"] * d[f"{k}_cm"]) for k in ("pred", "exact")}
    qs = {k: d[f"{k}_Pi"] + (salt[k] - 1) / eps**2 for k in salt}
    for name, f in (("salt", salt), ("q", qs)):
        rel = np.linalg.norm(f["pred"] - f["exact"]) / np.linalg.norm(f["exact"])
        print(f"{name}: relative L2 {rel:.3g}")
    i, j = np.unravel_index(np.abs(d["pred_Pi"] - d["exact_Pi"]).argmax(), X.shape)
    print(
        f"largest Pi error at x = {X[i, j]:.2f}, y = {Y[i, j]:.3f}: salt "
        f"{salt['pred'][i, j]:.4f} against {salt['exact'][i, j]:.4f}, Pi "
        f"{d['pred_Pi'][i, j]:.1f} against {d['exact_Pi'][i, j]:.1f}, q {qs['pred'][i, j]:.2f} "
        f"against {qs['exact'][i, j]:.2f}"
    )


if __name__ == "__main__":
    main()
