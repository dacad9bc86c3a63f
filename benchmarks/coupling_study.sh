#!/usr/bin/env bash
# The coupling-robustness study of docs/results.md: the three 1D systems over
# gamma in {1, 3, 10, 30, 100}, SOAP+GN vs Adam+GN, 3 seeds, the same network, points and
# steps for every run. Two runs at a time, one torch thread each (2-core machine).
# Rerunning resumes: finished runs are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-4000}
for p in coupled_sym coupled_asym coupled_nonlinear; do
  mpinn sweep "problems/$p.mp" --param gamma=1,3,10,30,100 --optimizer soap,adam --seeds 3 \
      --steps "$STEPS" --workers 2 --threads-per-worker 1 --no-run-plots --quiet \
      --out "runs/study/$p"
done
