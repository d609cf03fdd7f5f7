#!/usr/bin/env bash
# Puts DJL's CUDA libtorch (the jar of `mvn -Pcuda`, docs/GPU.md) where DJL looks for it without
# downloading anything, so the GPU build runs the same way on every machine:
#   deploy/cuda-libtorch.sh JAR DJL_CACHE_DIR
# unpacks the jar's libraries into DJL_CACHE_DIR/pytorch/2.5.1-cu124-linux-x86_64 (the folder DJL
# itself would unpack them into on a machine where it detects CUDA) and adds libcudart.so beside
# them, so DJL's GPU count (which asks the CUDA runtime through JNA) finds the bundled runtime when
# that folder is on LD_LIBRARY_PATH. Run the JVM with PYTORCH_FLAVOR=cu124: DJL then takes this
# libtorch even where it cannot detect CUDA, instead of trying to download a CPU one.
# Prints the folder. Does nothing if it is already complete.
set -euo pipefail
JAR="$1"
CACHE="$2"
VERSION=2.5.1
FLAVOR=cu124
CLASSIFIER=linux-x86_64
LIBTORCH="$CACHE/pytorch/$VERSION-$FLAVOR-$CLASSIFIER"

if [ ! -f "$LIBTORCH/libtorch.so" ]; then
  mkdir -p "$CACHE/pytorch"
  TMP="$(mktemp -d "$CACHE/pytorch/.unpack.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  python3 - "$JAR" "$TMP" "pytorch/$FLAVOR/$CLASSIFIER/" <<'PY'
import os, shutil, sys, zipfile
jar, out, prefix = sys.argv[1:]
found = 0
with zipfile.ZipFile(jar) as z:
    for entry in z.infolist():
        if entry.filename.startswith(prefix) and not entry.is_dir():
            with z.open(entry) as src, open(os.path.join(out, os.path.basename(entry.filename)), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            found += 1
if found == 0:
    sys.exit("no libraries under " + prefix + " in " + jar)
PY
  cudart="$(cd "$TMP" && ls libcudart*.so.* | head -n 1)"
  ln -s "$cudart" "$TMP/libcudart.so"
  # the folder appears whole or not at all
  mv "$TMP" "$LIBTORCH"
fi
echo "$LIBTORCH"
