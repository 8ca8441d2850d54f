#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Installs the Debian 12 packages rcls needs to build, test and run, and only those missing.
# Idempotent: when everything is present it changes nothing and does not touch the network.
# Runs apt-get as root, or through sudo for other users.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache
  # libraries
  libopencv-dev libtorch-dev libopenblas0-pthread
  nlohmann-json3-dev libcli11-dev libspdlog-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libsnappy-dev libzstd-dev zlib1g-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev ffmpeg
  # the independent PyTorch reference of the model tests (tests/reference/)
  python3-torch
  # scikit-learn, the reference of the eval metrics (tests/reference/eval_metrics_reference.py)
  python3-sklearn
  # the browser that renders the eval report in tests/browser
  chromium
)
# node and npm for the browser tests' puppeteer-core (tests/browser/*/package.json): Debian's,
# unless a node with its own npm is installed already (a NodeSource nodejs bundles npm and
# conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install_deps: missing packages (${missing[*]}) and neither root nor sudo; install them and rerun" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists; refresh them once, then install.
if ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
