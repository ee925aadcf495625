#!/usr/bin/env bash
# Installs every system package cimba needs (Debian 12, as root or with sudo), then configures and
# builds a Release build in build/. Safe to run again: apt skips what is installed, cmake rebuilds
# only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libsystemc-dev libeigen3-dev libyaml-cpp-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev zlib1g-dev
  python3-numpy python3-matplotlib
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# AVX2+FMA where the CPU has them (every machine of this project's kind does); portable otherwise.
ARCH=""
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then ARCH="x86-64-v3"; fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCIMBA_ARCH="${ARCH}" >/dev/null
cmake --build build -j "$(nproc)"
echo "setup: built build/cimba"
