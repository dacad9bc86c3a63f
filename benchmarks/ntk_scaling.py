"""Scaling benchmark of `mpinn.ntk`: ~2000 residual rows x 6 networks x ~10k parameters.

A synthetic 2D problem with six coupled Poisson-like fields (Laplacians, gradients and a
linear coupling of strength gamma) is lowered from .mp text; each field gets a tanh MLP of
width 70 and depth 3 (10,221 parameters). The script times the Jacobian blocks (torch.func,
chunks of points), the per-network thin SVD/QR projectors and the two eigensolves.

    python benchmarks/ntk_scaling.py                      # all cores, the target run
    python benchmarks/ntk_scaling.py --points 40 --compare  # small: func vs autograd
"""

from __future__ import annotations

import argparse
import time

import torch

from mpinn import config, train
from mpinn.analysis import ntk
from mpinn.lower import lower_source

SOURCE = """
problem six_fields "Six coupled Poisson-like fields (NTK scaling benchmark)"
param gamma = 10
domain (x, y) in [0, 1] x [0, 1]
field u1, u2, u3, u4, u5, u6
pde e1: -lap(u1) + gamma*(u1 - u2) + dx(u3) = 1
pde e2: -lap(u2) + gamma*(u2 - u3) + dy(u4) = 0
pde e3: -lap(u3) + gamma*(u3 - u4) + dx(u5)*u1 = 0
pde e4: -lap(u4) + gamma*(u4 - u5) + dy(u6) = 0
pde e5: -lap(u5) + gamma*(u5 - u6) + dx(u1) = 0
pde e6: -lap(u6) + gamma*(u6 - u1) + dy(u2) = sin(pi*x)
bc walls on all: u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=334, help="interior points (x6 rows)")
    ap.add_argument("--width", type=int, default=70)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--basis", default="auto", choices=["auto", "svd", "sketch"])
    ap.add_argument("--threads", type=int, default=0, help="0 = torch's default")
    ap.add_argument(
        "--compare",
        action="store_true",
        help="also time the autograd (is_grads_batched) Jacobian and compare",
    )
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    problem = lower_source(SOURCE, "six_fields.mp")
    cfg = config.resolve(
        None,
        None,
        {
            "dtype": "float64",
            "sampling": {"interior": args.points},
            "net": {"width": args.width, "depth": args.depth},
        },
    )
    setup = train.build(problem, cfg)
    nets = ntk.float64_nets(setup.nets)
    sets = ntk.point_sets(setup)
    rows = sum(s.rows for s in sets)
    sizes = {f: sum(p.numel() for p in nets.nets[f].parameters()) for f in nets.fields}
    print(
        f"threads {torch.get_num_threads()} | rows {rows} | networks {len(sizes)} x "
        f"{next(iter(sizes.values()))} params"
    )
    t0 = time.perf_counter()
    blocks = ntk.jacobian_blocks(setup.program, nets, sets, setup.values, chunk=args.chunk)
    t1 = time.perf_counter()
    spectra = ntk.kernel_spectra(blocks, args.basis)
    t2 = time.perf_counter()
    summary = ntk.summarize(spectra, setup.values, [])
    print(
        f"jacobian (torch.func) {t1 - t0:.1f} s | projectors + spectra {t2 - t1:.1f} s | "
        f"total {t2 - t0:.1f} s (CPU {time.process_time():.0f} s incl. start-up)"
    )
    print("  " + " | ".join(f"{k} {v:.1f}" for k, v in spectra["timings"].items()))
    print(
        f"lambda_max(K) {summary['lambda_max_K']:.4e} | lambda_max(K_P) "
        f"{summary['lambda_max_KP']:.12f} (S = {summary['S']}) | ranks "
        + " ".join(f"{f}:{n['rank']}" for f, n in summary["networks"].items())
        + f" | basis {next(iter(summary['networks'].values()))['basis']}"
    )
    if args.compare:
        t3 = time.perf_counter()
        ref = ntk.jacobian_blocks(
            setup.program, nets, sets, setup.values, chunk=args.chunk, method="autograd"
        )
        t4 = time.perf_counter()
        err = max(float((blocks[f] - ref[f]).abs().max() / ref[f].abs().max()) for f in ref)
        print(f"jacobian (autograd, is_grads_batched) {t4 - t3:.1f} s | max rel. diff {err:.1e}")


if __name__ == "__main__":
    main()
