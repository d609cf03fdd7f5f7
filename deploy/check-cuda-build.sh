#!/usr/bin/env bash
# Checks the GPU build (`mvn -Pcuda`: DJL 0.33 with libtorch 2.5.1 for CUDA 12.4, docs/GPU.md) on a
# machine without a GPU: builds it into target-cuda/ (the CPU build's target/ is left alone) and runs
# the training module's tests and the node's training paths on the CUDA libtorch, whose CPU kernels
# do the work when there is no device.
#
# Two things stand in for what a GPU machine has, for this check only:
#  - DJL takes a bundled CUDA libtorch only where it finds CUDA. deploy/cuda-libtorch.sh unpacks it
#    into DJL's cache, as the GPU image does, and PYTORCH_FLAVOR=cu124 tells DJL to use it.
#  - libcaffe2_nvrtc.so links against the driver (libcuda.so.1), which only a machine with an NVIDIA
#    driver has: deploy/cuda-stub/libcuda-stub.c, built here, fails every call, so libtorch loads
#    and sees no device.
# Needs: a JDK, Maven, gcc, binutils (nm), python3. Nothing is installed or left outside the
# checkout but Maven's repository (the 2.3 GB CUDA libtorch) and DJL's cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VERSION=2.5.1
FLAVOR=cu124
CLASSIFIER=linux-x86_64
ARTIFACT="ai.djl.pytorch:pytorch-native-$FLAVOR:$VERSION:jar:$CLASSIFIER"
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$ROOT/.cache/djl}"
LIBTORCH="$DJL_CACHE_DIR/pytorch/$VERSION-$FLAVOR-$CLASSIFIER"

if [ ! -f "$LIBTORCH/libtorch.so" ]; then
  echo "check-cuda-build: unpacking $ARTIFACT (2.3 GB) into $LIBTORCH"
  JARDIR="$(mktemp -d)"
  mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$JARDIR"
  deploy/cuda-libtorch.sh "$JARDIR"/*.jar "$DJL_CACHE_DIR" > /dev/null
  rm -rf "$JARDIR"
fi

STUB="$(mktemp -d)"
trap 'rm -rf "$STUB"' EXIT
gcc -shared -fPIC -O2 -Wl,-soname,libcuda.so.1 -o "$STUB/libcuda.so.1" deploy/cuda-stub/libcuda-stub.c
missing="$(comm -23 <(nm -D --undefined-only "$LIBTORCH/libcaffe2_nvrtc.so" | awk '$2 ~ /^cu/ {print $2}' | sort) \
                    <(nm -D --defined-only "$STUB/libcuda.so.1" | awk '{print $3}' | sort))"
if [ -n "$missing" ]; then
  echo "check-cuda-build: the driver stub lacks functions libcaffe2_nvrtc.so imports: $missing" >&2
  exit 1
fi

echo "check-cuda-build: testing the GPU build on this machine's CPU"
# the same environment as the GPU image (deploy/Dockerfile.gpu), plus the stub driver
LD_LIBRARY_PATH="$STUB:$LIBTORCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PYTORCH_FLAVOR="$FLAVOR" \
  mvn -B -Pcuda -pl training,client-node -am test \
  -Dtest='io/fedbase/engine/**,io/fedbase/learn/**,io/fedbase/supernet/**,io/fedbase/node/FederationEndToEndTest,io/fedbase/node/DerivedTrainingTest,io/fedbase/node/worker/**' \
  -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | tee "$STUB/test.log" | grep -E '^\[(INFO|ERROR)\] Tests run:|BUILD|ERROR\]' || true
if ! grep -q "BUILD SUCCESS" "$STUB/test.log"; then
  echo "check-cuda-build: the GPU build's tests failed" >&2
  exit 1
fi
# DJL says which libtorch it took; a silent fallback to a CPU libtorch would make this check vacuous
if ! grep -q "Uses override PYTORCH_FLAVOR: $FLAVOR" "$STUB/test.log"; then
  echo "check-cuda-build: the tests did not run on the $FLAVOR libtorch" >&2
  exit 1
fi
echo "check-cuda-build: OK (libtorch $VERSION $FLAVOR, DJL 0.33, on the CPU)"
