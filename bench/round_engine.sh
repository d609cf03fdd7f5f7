#!/usr/bin/env bash
# The round engine's responsiveness and scale (BENCHMARKS §14): this build's coordinator against an
# older build's (OLD_JAR), side by side, one run at a time on an otherwise idle machine.
# Usage: bench/round_engine.sh NEW_JAR OLD_JAR OUT_DIR
set -euo pipefail
NEW_JAR=$1 OLD_JAR=$2 OUT=$3
mkdir -p "$OUT"
run() { # name, then bench round arguments
  local name=$1; shift
  echo "== $name: $*" >&2
  java -Xmx2g -jar "$NEW_JAR" bench round "$@" > "$OUT/$name.txt" 2>&1
  tail -1 "$OUT/$name.txt" > "$OUT/$name.json"
}
run merge64-new --nodes 64 --rounds 8 --profile paper --heap 1g
run merge64-old --nodes 64 --rounds 8 --profile paper --heap 1g --coordinator-jar "$OLD_JAR"
run nodes200-new --nodes 200 --rounds 20
run nodes200-old --nodes 200 --rounds 20 --coordinator-jar "$OLD_JAR"
run nodes1000-new --nodes 1000 --rounds 10 --heap 1g
