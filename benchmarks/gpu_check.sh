#!/usr/bin/env bash
# GPU check of issue 17 (< 8 minutes on one GPU): every command end to end on cuda (a short
# smoke, each command once), the speed runner's quick version on cuda, then a short flagship
# run (eof2d, 300 steps) with each derivative engine, in steps/s.
#
#     bash benchmarks/gpu_check.sh [OUT_DIR]        (from the repository root)
#     DEVICE=cpu bash benchmarks/gpu_check.sh        (the smoke's syntax, on a CPU machine)
#
# Writes OUT_DIR/speed.json and OUT_DIR/summary.txt (OUT_DIR: the argument, else $OUT, else
# gpu_check/); the run directories go to a temporary folder. A flagship run's rate is
# steps / training-loop seconds (metrics.json: steps_done / wall_time_s).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-gpu_check}}"
mkdir -p "$out"
runs="$(mktemp -d)"
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
} | tee "$out/summary.txt"

device="${DEVICE:-cuda}"
smoke="$runs/smoke"
# Every command on a run trained on the device: solve, resume, the CPU-side commands on its
# directory (a cuda checkpoint must load anywhere), a 2D six-field problem, a sweep.
while IFS= read -r cmd; do
    [ -z "$cmd" ] && continue
    if timeout 90 bash -c "$cmd" > "$runs/smoke.log" 2>&1; then
        echo "ok      $cmd" | tee -a "$out/summary.txt"
    else
        echo "FAILED  $cmd" | tee -a "$out/summary.txt"
        tail -5 "$runs/smoke.log" | tee -a "$out/summary.txt"
    fi
done <<EOF
mpinn solve coupled_sym --device $device --steps 60 --quiet --out $smoke/solve
mpinn resume $smoke/solve --steps 90 --quiet
mpinn plot $smoke/solve
mpinn report $smoke/solve
mpinn export $smoke/solve
mpinn synth problems/coupled_sym.mp --fields u,v --points 20 -o $smoke/obs.csv
mpinn solve examples/inverse/coupled_gamma.mp --device $device --steps 40 --quiet --out $smoke/inverse
mpinn solve examples/geometry/annulus_hard.mp --device $device --steps 40 --quiet --out $smoke/shape
mpinn solve problems/eof2d_channel.mp --device $device --steps 20 --quiet --out $smoke/eof
mpinn sweep coupled_sym --param gamma=1,10 --steps 40 --device $device --executor inline --quiet --out $smoke/sweep
EOF
[ "$device" = cuda ] || { rm -rf "$runs"; exit 0; }

timeout 170 python benchmarks/speed.py --device cuda --quick --budget-s 120 \
    --json "$out/speed.json" | tee -a "$out/summary.txt"
echo "speed.py: exit ${PIPESTATUS[0]}" | tee -a "$out/summary.txt"

for engine in auto forward reverse; do
    run="$runs/eof2d_$engine"
    # no reference solution (the L2 error is not the point here, and its finite-volume
    # solve would take CPU minutes): steps/s of the training loop only
    if timeout 60 mpinn solve problems/eof2d.mp --device cuda --steps 300 --quiet \
        --set derivatives=$engine --set reference.solver=null --out "$run" --overwrite \
        > "$runs/$engine.log" 2>&1; then
        python - "$run" "$engine" <<'PY' | tee -a "$out/summary.txt"
import json, sys
m = json.load(open(f"{sys.argv[1]}/metrics.json"))
print(f"eof2d derivatives={sys.argv[2]}: {m['steps_done'] / m['wall_time_s']:.1f} steps/s "
      f"({m['steps_done']} steps in {m['wall_time_s']:.1f} s of training on {m['device']}), "
      f"L2 mean {m['l2_mean']} (none without the reference)")
PY
    else
        echo "eof2d derivatives=$engine: failed or timed out; last lines:" | tee -a "$out/summary.txt"
        tail -5 "$runs/$engine.log" | tee -a "$out/summary.txt"
    fi
done
rm -rf "$runs"
