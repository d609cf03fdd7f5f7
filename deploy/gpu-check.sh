#!/usr/bin/env bash
# The check for the day a GPU is at hand (docs/GPU.md). On a CUDA machine, from a checkout:
#   mvn -B -Pcuda -DskipTests package && deploy/gpu-check.sh
# 1. prints the device libtorch sees;
# 2. times `bench inner-step` on the GPU and on the CPU, one task at a time and four tasks in one
#    stacked pass (per task: the pass's time divided by four);
# 3. runs a three-round federation of one GPU node and one CPU node on loopback, then the same
#    federation with both nodes on the CPU, and compares the two final priors: they may differ only by
#    float rounding, at most TOLERANCE (default 1e-3) of how far the all-CPU prior moved.
# Ends with one JSON line; exits 1 if the priors disagree. Where no GPU is visible (or with the CPU
# build) the "GPU node" runs on the CPU and the line says so: the two federations are then the same
# computation and must agree exactly. Takes about 3 minutes on 2 CPU cores, less with a GPU.
# Environment: FEDBASE_JAR (default: the GPU build's jar if built, else the CPU build's),
# TOLERANCE, OUT (kept; default: a temporary directory, removed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$(date +%s)
TOLERANCE="${TOLERANCE:-1e-3}"
if [ -z "${FEDBASE_JAR:-}" ]; then
  if [ -f "$ROOT/cli/target-cuda/fedbase.jar" ]; then FEDBASE_JAR="$ROOT/cli/target-cuda/fedbase.jar"; else FEDBASE_JAR="$ROOT/cli/target/fedbase.jar"; fi
fi
[ -f "$FEDBASE_JAR" ] || { echo "gpu-check: no $FEDBASE_JAR; build first (mvn -B -Pcuda -DskipTests package)" >&2; exit 2; }
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$ROOT/.cache/djl}"
CUDA_JAR="$(ls "$(dirname "$FEDBASE_JAR")"/lib/pytorch-native-cu*.jar 2>/dev/null | head -n 1 || true)"
if [ -n "$CUDA_JAR" ]; then
  # the GPU build runs as in its image: the CUDA libtorch unpacked where DJL looks, never downloaded
  LIBTORCH="$("$ROOT/deploy/cuda-libtorch.sh" "$CUDA_JAR" "$DJL_CACHE_DIR")"
  export PYTORCH_FLAVOR=cu124 LD_LIBRARY_PATH="$LIBTORCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -z "${OUT:-}" ]; then
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2> /dev/null || true; done; }
trap 'cleanup' INT TERM
fedbase() {
  java --add-modules jdk.incubator.vector -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$FEDBASE_JAR" "$@"
}
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"; }

# 1. the device
fedbase bench inner-step --device auto --steps 1 --warmup 0 > "$OUT/probe.json" 2> "$OUT/probe.err"
DEVICE_LINE="$(grep -m1 '^device: ' "$OUT/probe.err" | sed 's/^device: //')"
DEVICE="${DEVICE_LINE%% *}"
echo "gpu-check: $DEVICE_LINE"
GPU=false
GPU_DEVICE=cpu
if [[ "$DEVICE" == gpu* ]]; then GPU=true; GPU_DEVICE=gpu; fi

# 2. the inner step on each device
step_ms() {  # DEVICE TASKS_AT_ONCE: ms per task step
  fedbase bench inner-step --device "$1" --tasks-at-once "$2" --steps 100 --warmup 10 2> /dev/null | grep '^{' | tail -n 1 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_per_task_step_median"])'
}
CPU_MS="$(step_ms cpu 1)"
CPU_STACKED_MS="$(step_ms cpu 4)"
GPU_MS=null
GPU_STACKED_MS=null
if $GPU; then GPU_MS="$(step_ms gpu 1)"; GPU_STACKED_MS="$(step_ms gpu 4)"; fi
echo "gpu-check: inner step ${GPU_MS} ms on the GPU, ${CPU_MS} ms on the CPU; per task with four at once ${GPU_STACKED_MS} and ${CPU_STACKED_MS} ms"

# 3. two federations that differ only in node-a's device
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
federation() {  # NAME DEVICE_OF_NODE_A
  local dir="$OUT/$1" port
  port="$(free_port)"
  mkdir -p "$dir"
  fedbase coordinator --insecure --port "$port" --metrics-port -1 --state-dir "$dir/state" --min-nodes 2 --rounds 3 --ways 2 --seed 1 \
    > "$dir/coordinator.log" 2>&1 &
  local coordinator=$!
  PIDS+=("$coordinator")
  local nodes=()
  for spec in "node-a:$2:0-2" "node-b:cpu:3-5"; do
    IFS=: read -r id device classes <<< "$spec"
    fedbase node --insecure --coordinator "127.0.0.1:$port" --node-id "$id" --device "$device" --data fashion-mnist --classes "$classes" \
      --metrics-port -1 --cache-dir "$dir/cache-$id" > "$dir/$id.log" 2>&1 &
    nodes+=($!)
    PIDS+=($!)
  done
  local waited=0
  while kill -0 "$coordinator" 2> /dev/null; do
    sleep 2
    waited=$((waited + 2))
    if [ "$waited" -ge 240 ]; then echo "gpu-check: federation $1 did not finish 3 rounds in 4 minutes (logs in $dir)" >&2; cleanup; exit 1; fi
  done
  for n in "${nodes[@]}"; do wait "$n" 2> /dev/null || true; done
  [ -f "$dir/state/prior-v00000003.fbb" ] || { echo "gpu-check: federation $1 committed fewer than 3 rounds (logs in $dir)" >&2; exit 1; }
}
federation mixed "$GPU_DEVICE"
federation cpu cpu
fedbase prior compare "$OUT/cpu/state/prior-v00000000.fbb" "$OUT/mixed/state/prior-v00000000.fbb" > "$OUT/start.json"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["l2_distance"] != 0)' "$OUT/start.json" \
  || { echo "gpu-check: the two federations did not start from the same prior" >&2; exit 1; }
COMPARE="$(fedbase prior compare "$OUT/cpu/state/prior-v00000003.fbb" "$OUT/mixed/state/prior-v00000003.fbb" --base "$OUT/cpu/state/prior-v00000000.fbb")"
RELATIVE="$(field "$COMPARE" relative_to_change)"
AGREE="$(python3 -c 'import sys; print("true" if float(sys.argv[1]) <= float(sys.argv[2]) else "false")' "$RELATIVE" "$TOLERANCE")"
SECONDS_TAKEN=$(( $(date +%s) - START ))
printf '{"check":"gpu","gpu":%s,"device":"%s","libtorch":"%s","inner_step_ms":{"gpu":%s,"cpu":%s},"task_step_ms_four_at_once":{"gpu":%s,"cpu":%s},"federation":{"rounds":3,"nodes":{"node-a":"%s","node-b":"cpu"},"relative_to_change":%s,"max_abs_difference":%s,"tolerance":%s,"agree":%s},"seconds":%d}\n' \
  "$GPU" "$DEVICE" "$(echo "$DEVICE_LINE" | sed -n 's/.*libtorch \([0-9.]*\).*/\1/p')" "$GPU_MS" "$CPU_MS" "$GPU_STACKED_MS" "$CPU_STACKED_MS" "$GPU_DEVICE" "$RELATIVE" \
  "$(field "$COMPARE" max_abs_difference)" "$TOLERANCE" "$AGREE" "$SECONDS_TAKEN"
[ "$AGREE" = true ]
