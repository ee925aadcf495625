#!/usr/bin/env bash
# Reproduces every figure of results/ from scratch (or resumes):
#   1. builds build/cimba if it is missing or older than the sources (cmake --build),
#   2. runs the figure sweeps (configs/sweeps/fig*.yaml) with -j $(nproc) into
#      results/sweeps/<name>/ (resumable: finished points are skipped, docs/sweep.md); the JiT
#      sweep of figure 1 (fig1-jit-adc-bits) needs the shared model ../shared/data/jit-mnist-tiny
#      and MNIST ../shared/data/mnist and is skipped, with a message, when they are absent
#      (figure 1 is then drawn with the Mamba lines only),
#   3. draws the figures and their CSVs with scripts/make_figures.py (Debian's python3 with
#      numpy + matplotlib: /usr/bin/python3, or $PYTHON).
# Usage: bash scripts/reproduce.sh            (from anywhere)
#        JOBS=4 bash scripts/reproduce.sh     (points in parallel; default: nproc)
# Exits non-zero, naming the step, if any step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD:-$ROOT/build}"
CIMBA="$BUILD/cimba"
JOBS="${JOBS:-$(nproc)}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SWEEPS=(fig1-adc-bits fig1-jit-adc-bits fig2-index-overhead fig3-ssm-input fig1-neurosim-adc-bits)
# Sweeps over configs/default-jit.yaml: they read these (relative to the repository root).
JIT_MODEL="../shared/data/jit-mnist-tiny"
JIT_MNIST="../shared/data/mnist"
RAN=()

fail() { echo "reproduce.sh: FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $* ($(date +%H:%M:%S))"; }
T0=$(date +%s)

step "build"
if [ ! -d "$BUILD" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release || fail "cmake configure of $BUILD"
fi
cmake --build "$BUILD" --target cimba -j "$JOBS" || fail "build of $CIMBA (cmake --build $BUILD --target cimba)"
[ -x "$CIMBA" ] || fail "$CIMBA was not built"

"$PYTHON" -c 'import numpy, matplotlib' 2>/dev/null \
  || fail "$PYTHON lacks numpy/matplotlib (apt-get install python3-numpy python3-matplotlib, or set PYTHON=)"

for s in "${SWEEPS[@]}"; do
  step "sweep $s"
  if [[ "$s" == *-jit-* ]] && { [ ! -d "$JIT_MODEL" ] || [ ! -d "$JIT_MNIST" ]; }; then
    echo "sweep $s: SKIPPED: the JiT model $ROOT/$JIT_MODEL or MNIST $ROOT/$JIT_MNIST is absent" \
         "(not shipped with cimba); figure 1 shows the Mamba model only" \
         "(or the JiT results of an earlier run, if results/sweeps/$s/sweep.csv exists)"
    continue
  fi
  t=$(date +%s)
  # Shared calibrations are cheap (one per group of pending points) but a file written by an
  # older build may not load in a newer one (its recorded settings lack new config keys), so
  # they are never reused across runs; finished points are still skipped.
  rm -rf "results/sweeps/$s/calib"
  "$CIMBA" sweep "configs/sweeps/$s.yaml" -j "$JOBS" --out "results/sweeps/$s" \
    || fail "sweep configs/sweeps/$s.yaml (see results/sweeps/$s/points/*/failed.txt and stderr.txt)"
  echo "sweep $s: $(( $(date +%s) - t )) s"
  RAN+=("$s")
done

step "figures"
"$PYTHON" scripts/make_figures.py --sweeps results/sweeps --out results \
  || fail "scripts/make_figures.py"

echo
echo "reproduce.sh: done in $(( $(date +%s) - T0 )) s; wrote:"
for s in "${RAN[@]}"; do echo "  results/sweeps/$s/sweep.csv (+ points/*/result.json)"; done
ls -1 results/figures/*.png results/*.csv 2>/dev/null | sed 's/^/  /'
