#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan in build-fuzz/ and runs each
# for SECONDS (default 60) from its seed corpus (fuzz/corpus/<target>, made by
# fuzz/make_seeds.py). New inputs go to build-fuzz/corpus/<target>; a crash, hang (> 10 s),
# out-of-memory (> 2 GB) or leak is written to build-fuzz/findings/<target>/ and makes the
# script exit 1 after the remaining targets have run.
#   scripts/fuzz.sh          # 60 s each (4 targets: about 5 minutes after the first build)
#   scripts/fuzz.sh 600      # the longer run (10 minutes each)
# Reproduce a finding: build-fuzz/fuzz/fuzz_<target> build-fuzz/findings/<target>/crash-...
set -euo pipefail

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: scripts/fuzz.sh [seconds per target, default 60]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
targets=(safetensors hf_config config sweep)

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCIMBA_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  findings=$build/findings/$target
  mkdir -p "$corpus" "$findings"
  echo "== fuzz_$target: $seconds s"
  if ! "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$root/fuzz/corpus/$target" >"$build/fuzz_$target.log" 2>&1; then
    failed+=("$target")
    tail -n 40 "$build/fuzz_$target.log" >&2
  fi
  grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$build/fuzz_$target.log" || true
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (build-fuzz/findings/)" >&2
  exit 1
fi
echo "fuzz: no findings in ${#targets[@]} targets x $seconds s"
