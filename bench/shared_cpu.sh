#!/usr/bin/env bash
# Slowdown of one `meta-train` beside 0, 1, 2 and 4 other training processes, and under a one-CPU
# cgroup quota, with the engine's threads fixed at the machine's core count (what libtorch chose by
# itself before --threads existed) and with --threads auto, side by side in one run.
# Usage: bench/shared_cpu.sh [ROUNDS] [LIMIT_SECONDS] [OUT_DIR]
# Needs nothing else running. The quota case needs a writable cgroup v1 cpu controller or cgroup v2
# (root); it is skipped otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-8}"
LIMIT="${2:-240}"
OUT="${3:-$ROOT/runs/bench-shared-cpu}"
CORES="$(nproc)"
rm -rf "$OUT" && mkdir -p "$OUT"
"$ROOT/fedbase" --version > /dev/null 2>&1 || true

# seconds per round of one run directory: the median of rounds after the first (JIT and allocator warm-up)
per_round() {
  python3 - "$1" "$LIMIT" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1] + "/rounds.jsonl") if l.strip()] if __import__("os").path.exists(sys.argv[1] + "/rounds.jsonl") else []
secs = [r["seconds"] for r in rows[1:]] or [r["seconds"] for r in rows]
print(f"{statistics.median(secs):.3f}" if secs else f">{sys.argv[2]}")
PY
}

# run_group NAME THREADS PROCS [CGROUP_TASKS_FILE]: PROCS meta-train processes at once, each its own classes' seed
run_group() {
  local name="$1" threads="$2" procs="$3" tasks="${4:-}"
  local pids=()
  for i in $(seq 1 "$procs"); do
    (
      if [ -n "$tasks" ]; then echo $BASHPID > "$tasks"; fi
      exec timeout -s TERM "$LIMIT" "$ROOT/fedbase" meta-train --data fashion-mnist --classes 0-5 --rounds "$ROUNDS" \
        --seed "$i" --threads "$threads" --out "$OUT/$name/p$i"
    ) > "$OUT/$name.p$i.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  local all=()
  for i in $(seq 1 "$procs"); do all+=("$(per_round "$OUT/$name/p$i")"); done
  echo "${all[*]}"
}

QUOTA_TASKS=""
if [ -d /sys/fs/cgroup/cpu ] && mkdir -p /sys/fs/cgroup/cpu/fedbase-bench 2> /dev/null; then
  echo 100000 > /sys/fs/cgroup/cpu/fedbase-bench/cpu.cfs_period_us
  echo 100000 > /sys/fs/cgroup/cpu/fedbase-bench/cpu.cfs_quota_us
  QUOTA_TASKS=/sys/fs/cgroup/cpu/fedbase-bench/tasks
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir -p /sys/fs/cgroup/fedbase-bench 2> /dev/null; then
  echo "100000 100000" > /sys/fs/cgroup/fedbase-bench/cpu.max
  QUOTA_TASKS=/sys/fs/cgroup/fedbase-bench/cgroup.procs
fi

{
  echo "# meta-train seconds per round (median of rounds 2..$ROUNDS), $CORES cores, $(date -u +%FT%TZ)"
  echo "| case | threads $CORES (fixed, the old default) | threads auto |"
  echo "|---|---|---|"
  for others in 0 1 2 4; do
    procs=$((others + 1))
    a="$(run_group "fixed-$others" "$CORES" "$procs")"
    b="$(run_group "auto-$others" auto "$procs")"
    echo "| 1 + $others others | $a | $b |"
  done
  if [ -n "$QUOTA_TASKS" ]; then
    a="$(run_group quota-fixed "$CORES" 1 "$QUOTA_TASKS")"
    b="$(run_group quota-auto auto 1 "$QUOTA_TASKS")"
    echo "| alone, cgroup quota 1 CPU | $a | $b |"
  else
    echo "| alone, cgroup quota 1 CPU | skipped: no writable cgroup | |"
  fi
} | tee "$OUT/results.md"
