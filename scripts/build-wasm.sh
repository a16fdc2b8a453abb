#!/usr/bin/env bash
# Builds the browser module (build/wasm/ci_core.mjs + .wasm) and the wasm
# test binary. Debian's emscripten needs NODE_PATH to find acorn for
# optimised links (see docs/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
[ -f build/wasm/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j"$(nproc)" "$@"
