#!/usr/bin/env bash
# Benchmark 1 side by side: `./fedbase bench inner-step` against the same supernet and step written
# directly in PyTorch (bench/inner_step_torch.py, Debian's python3-torch), run alternately
# (fedbase, torch, fedbase, torch, ...) so both see the same machine state, one process at a time.
#
# Usage: bench/compare_inner_step.sh [-r REPS] [-t THREADS] [-o DIR] [-a FLAGS]... [FLAGS...]
#   FLAGS are passed unchanged to both engines: --profile --channels --cells --cell-nodes --ways
#   --ops --input --batch --steps --warmup (fedbase's names; the torch script accepts the same).
#   -r  repetitions (default 3, or $REPS); each runs every fedbase arm, then the reference
#   -t  intra-op threads for both; default: whatever fedbase's engine uses (libtorch's default,
#       reported by its first run), passed on to the torch script with --threads
#   -o  keep each run's JSON line in DIR (default: a temporary directory, removed at the end)
#   -a  a fedbase arm: flags for fedbase only, e.g. -a "--tasks-at-once 1" -a "--tasks-at-once 4"
#       (that many tasks stepped in one stacked pass, compared per task against the reference,
#       which steps one task at a time as the paper's code does); default one arm, $FEDBASE_FLAGS
# Environment: TORCH_FLAGS adds flags for the torch script only (e.g. --channels-last or
# --share-state-ops, neither the reference's default); FEDBASE_JAVA_OPTS is passed to fedbase's
# JVM; PYTHON picks the interpreter (default /usr/bin/python3, Debian's, which has python3-torch).
# Example: bench/compare_inner_step.sh -r 5 -t 2 -a "--tasks-at-once 1" -a "--tasks-at-once 4" --steps 60
#
# Prints the per-run medians (ms per step, and per task step: a pass's time divided by the tasks it
# steps), the parameter counts of both engines (which must be equal; the script fails if not) and,
# per arm, the ratio fedbase / pytorch of the medians of the per-run medians of the time per task
# step, with the ratio of every repetition. The goal is a ratio of at most 0.8.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
REPS="${REPS:-3}"
THREADS=""
OUT=""
FLAGS=()
ARMS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r) REPS="$2"; shift 2 ;;
    -t) THREADS="$2"; shift 2 ;;
    -o) OUT="$2"; shift 2 ;;
    -a) ARMS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) FLAGS+=("$1"); shift ;;
  esac
done
if [ ${#ARMS[@]} -eq 0 ]; then
  ARMS=("${FEDBASE_FLAGS:-}")
fi

if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "compare_inner_step: $PYTHON cannot import torch; install Debian's python3-torch (apt-get install -y python3-torch)" >&2
  exit 1
fi
if [ -z "$OUT" ]; then
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
else
  mkdir -p "$OUT"
fi

# the last line of stdout that is a JSON object
last_json() { grep '^{' "$1" | tail -n 1; }
field() { "$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get(sys.argv[2], d.get(sys.argv[3] if len(sys.argv) > 3 else "", "")))' "$@"; }

FEDBASE_OPTS="${FEDBASE_JAVA_OPTS:-}"
if [ -n "$THREADS" ]; then
  FEDBASE_OPTS="$FEDBASE_OPTS -Dai.djl.pytorch.num_threads=$THREADS"
fi

# build once up front, so the first timed run does not include a Maven build
(cd "$ROOT" && FEDBASE_JAVA_OPTS="$FEDBASE_OPTS" ./fedbase bench inner-step --help >/dev/null)

echo "flags: ${FLAGS[*]:-(defaults: small profile)}; repetitions: $REPS; pytorch only: ${TORCH_FLAGS:-(none)}"
for a in "${!ARMS[@]}"; do
  echo "fedbase arm $a: ${ARMS[$a]:-(no extra flags)}"
done
# both engines spin OpenMP workers; on a busy machine (load near or above the core count) a step can
# take many times longer, so the load is printed before and after to tell a quiet run from a noisy one
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cpus)"
if awk -v n="$(nproc)" '{exit !($1 > 0.5 * n)}' /proc/loadavg; then
  echo "WARNING: the machine is busy; with every core in use OpenMP's spinning workers can make a step" \
    "ten or more times slower, so these numbers are not fit for BENCHMARKS.md" >&2
fi
row() { # run engine json
  printf '%-4s %-9s %12.2f %12.2f %14.2f %8s %14s %8s\n' "$1" "$2" "$(field "$3" ms_per_step_median)" \
    "$(field "$3" ms_per_step_mean)" "$(field "$3" ms_per_task_step_median ms_per_step_median)" "$(field "$3" threads)" \
    "$(field "$3" weight_params)" "$(field "$3" logit_params)"
}
printf '%-4s %-9s %12s %12s %14s %8s %14s %8s\n' run engine median_ms mean_ms task_median_ms threads weight_params logits
for r in $(seq 1 "$REPS"); do
  for a in "${!ARMS[@]}"; do
    # shellcheck disable=SC2206 # an arm is a list of flags
    arm=(${ARMS[$a]})
    (cd "$ROOT" && FEDBASE_JAVA_OPTS="$FEDBASE_OPTS" ./fedbase bench inner-step ${arm[@]+"${arm[@]}"} "${FLAGS[@]}") \
      >"$OUT/fedbase$a-$r.out" 2>"$OUT/fedbase$a-$r.err"
    fj="$(last_json "$OUT/fedbase$a-$r.out")"
    echo "$fj" >"$OUT/fedbase$a-$r.json"
    if [ -z "$THREADS" ]; then
      THREADS="$(field "$fj" threads)"
    fi
    row "$r" "fedbase$a" "$fj"
  done

  # shellcheck disable=SC2086 # TORCH_FLAGS is a list of flags
  "$PYTHON" "$ROOT/bench/inner_step_torch.py" --threads "$THREADS" ${TORCH_FLAGS:-} "${FLAGS[@]}" \
    >"$OUT/torch-$r.out" 2>"$OUT/torch-$r.err"
  tj="$(last_json "$OUT/torch-$r.out")"
  echo "$tj" >"$OUT/torch-$r.json"
  row "$r" pytorch "$tj"
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PYTHON" - "$OUT" "$REPS" "${#ARMS[@]}" <<'EOF_PY'
import json, statistics, sys
out, reps, arms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = [json.load(open("%s/torch-%d.json" % (out, r))) for r in range(1, reps + 1)]
tm = statistics.median(x["ms_per_step_median"] for x in t)
print("pytorch: %s%s; median of per-run medians %.2f ms per step"
      % (t[0]["engine_version"], ", channels-last" if t[0].get("channels_last") else "", tm))
# per task step: fedbase's pass divided by the tasks it steps; the reference steps one task per pass
per_task = lambda x: x.get("ms_per_task_step_median", x["ms_per_step_median"])
for a in range(arms):
    f = [json.load(open("%s/fedbase%d-%d.json" % (out, a, r))) for r in range(1, reps + 1)]
    for key in ("weight_params", "logit_params"):
        fv, tv = {x[key] for x in f}, {x[key] for x in t}
        if fv != tv:
            sys.exit("compare_inner_step: %s differ: fedbase %s, pytorch %s" % (key, sorted(fv), sorted(tv)))
    if {x["threads"] for x in f} != {x["threads"] for x in t}:
        sys.exit("compare_inner_step: thread counts differ: fedbase %s, pytorch %s"
                 % ([x["threads"] for x in f], [x["threads"] for x in t]))
    fm = statistics.median(per_task(x) for x in f)
    pairs = ["%.3f" % (per_task(x) / y["ms_per_step_median"]) for x, y in zip(f, t)]
    print("fedbase arm %d: %s, %s, %d task(s) per pass" % (a, f[0]["engine_version"], f[0]["spec"], f[0].get("tasks_at_once", 1)))
    print("  parameters (both): %d weights + %d logits; threads (both): %d"
          % (f[0]["weight_params"], f[0]["logit_params"], f[0]["threads"]))
    print("  median of per-run medians per task step: %.2f ms; per-repetition ratios fedbase/pytorch: %s"
          % (fm, ", ".join(pairs)))
    print("  ratio fedbase/pytorch: %.3f (goal: <= 0.8)" % (fm / tm))
EOF_PY
