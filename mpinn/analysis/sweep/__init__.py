"""Parameter sweeps: the cartesian product of parameter values x optimizers x seeds.

Every combination is an ordinary :func:`mpinn.runs.solve` run directory inside the sweep
directory, named ``gamma=10/soap/seed0`` (one ``name=value`` level per swept parameter, in
the order given). Around them::

    sweep.json          the sweep's definition, written before the first run
    sweep.csv           one row per run: parameters, optimizer, seed, steps, status, wall
                        time, mean and per-field L2, final loss, error, run directory
    degradation.csv     per optimizer: median [min, max] L2 over seeds at every value of
                        the first swept parameter, and R = L2(largest) / L2(smallest value)
    plots/l2_vs_<param>.png

Runs execute in spawned worker processes on this machine (``executor="local"``), on a Dask
cluster (``executor="dask"``; ``pip install mpinn[cluster]``) or one after another in this
process (``executor="inline"``). A run that raises is recorded as failed (``error.txt`` in
its directory) and the sweep goes on; running the same sweep again skips every finished run.

Modules: :mod:`.spec` (what to run), :mod:`.plan` (configurations, definition, directory),
:mod:`.executors`, :mod:`.store` (rows and sweep.csv), :mod:`.tables` (the degradation
table), :mod:`.run` (the whole sweep). torch is imported only where a run executes.
"""

from .run import run_sweep
from .spec import EXECUTORS, SweepError, SweepSpec
from .store import read_rows, run_status
from .tables import degradation, plot_sweep, print_degradation

__all__ = [
    "run_sweep",
    "EXECUTORS",
    "SweepError",
    "SweepSpec",
    "read_rows",
    "run_status",
    "degradation",
    "plot_sweep",
    "print_degradation",
]
