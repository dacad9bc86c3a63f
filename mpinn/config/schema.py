"""The training configuration as plain dataclasses (no torch): what a run's
``config.yaml`` holds, key by key. Defaults: ``defaults.yaml`` beside this module."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class NetConfig:
    """Architecture of one field's network."""

    width: int = 64
    depth: int = 3  # hidden layers
    activation: str = "tanh"
    fourier_features: int = 0  # number of random Fourier frequencies (0 = off)
    fourier_sigma: float = 1.0
    output_init_scale: float = 1.0  # < 1: the network starts near net = 0 (see model.mlp)


@dataclass
class SamplingConfig:
    """Collocation points per step. ``cluster`` entries move a fraction of them towards
    faces (``{faces: [bottom, top], fraction: 0.5, width: 3, scale_param: eps}``: an
    exponential layer of width 3·eps at the walls) and/or planes inside the domain
    (``{at: {x: [a, b]}, fraction: 0.2, width: 0.2}``; numbers or parameter names)."""

    interior: int = 256
    boundary: int = 64
    initial: int = 128
    data: int = 256  # measured points per step of each data statement (all, if fewer)
    method: str = "uniform"
    resample_every: int = 1
    cluster: list = field(default_factory=list)
    per_term: dict = field(default_factory=dict)


@dataclass
class OptimizerConfig:
    name: str = "soap"
    lr: float = 2e-3
    options: dict = field(default_factory=dict)
    warmup_steps: int = 0
    decay_rate: float = 0.8
    decay_steps: int = 2000
    lbfgs_steps: int = 0


@dataclass
class BalanceConfig:
    name: str = "gradnorm"
    alpha: float = 0.9
    every: int = 100


@dataclass
class EvalConfig:
    grid: int = 0
    every: int = 500
    report: str = "best"  # best (by the validation residual) | last


@dataclass
class ReferenceConfig:
    """Where L2 errors come from when the problem has no exact solution."""

    solver: str | None = None  # a reference solver of mpinn.reference.SOLVERS, e.g. "eof"
    grid: str = "160x96"
    file: str | None = None  # or an explicit .npz written by `mpinn reference`


@dataclass
class SolveConfig:
    steps: int = 16000
    seed: int = 0
    dtype: str = "float32"
    device: str = "cpu"
    threads: int = 1  # measured: docs/performance.md, "Torch threads"
    params: dict = field(default_factory=dict)
    net: NetConfig = field(default_factory=NetConfig)
    nets: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    normalize_inputs: bool = True
    ensemble: str = "auto"  # evaluate the networks as one stacked ensemble: auto|on|off
    compile: str = "auto"  # residuals as fx graphs (+ torch.compile on cuda): auto|on|off
    derivatives: str = "auto"  # input derivatives: auto|reverse|forward
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    balance: BalanceConfig = field(default_factory=BalanceConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    reference: ReferenceConfig = field(default_factory=ReferenceConfig)
    log_every: int = 50
    checkpoint_every: int = 1000
    time_limit_s: float = 0.0  # wall-clock budget of the training loop (0 = none)
    init: str | None = None  # start the networks from a run's model.pt (warm start)
    quick: dict = field(default_factory=dict)  # overrides applied by --quick (demo runs)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
