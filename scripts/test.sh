#!/usr/bin/env bash
# Runs every test: the native GoogleTest suite, the same suite built with
# Emscripten under Node, the Node tests over the glue, the built .wasm and
# the Python runner, and the browser tests in real Chromium. Ends with one
# line "N passed, N failed"; exits non-zero on any failure, including a
# build that did not finish.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

rm -rf test-results build/native/test-results build/wasm/test-results
mkdir -p test-results
status=0
step() { echo; echo "=== $*"; }

step "native build"
if cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build/native -j"$(nproc)"; then
  step "native tests (ctest)"
  ctest --test-dir build/native --output-on-failure || status=1
else
  echo "native build failed" | tee test-results/native-build-failed; status=1
fi

step "wasm build"
if bash scripts/build-wasm.sh; then
  step "wasm tests (ctest, under Node)"
  ctest --test-dir build/wasm --output-on-failure || status=1
else
  echo "wasm build failed" | tee test-results/wasm-build-failed; status=1
fi

step "node tests (glue, built .wasm, Python runner on Pyodide)"
node --test --test-reporter=tap --test-reporter-destination=test-results/js.tap \
  --test-reporter=spec --test-reporter-destination=stdout tests/js/ || status=1

step "app build (vite → dist/)"
if ! npm run build; then
  echo "app build failed" | tee test-results/app-build-failed; status=1
fi

step "browser tests (real Chromium)"
node --test --test-reporter=tap --test-reporter-destination=test-results/e2e.tap \
  --test-reporter=spec --test-reporter-destination=stdout tests/e2e/ || status=1

step "three engines (tests/engines: Chromium, Firefox ESR, WebKitGTK)"
node --test --test-reporter=tap --test-reporter-destination=test-results/engines.tap \
  --test-reporter=spec --test-reporter-destination=stdout tests/engines/ || status=1

step "security scorecard (tests/security, real Chromium; see SECURITY.md)"
if ls tests/security/*.test.mjs >/dev/null 2>&1; then
  node --test --test-reporter=tap --test-reporter-destination=test-results/security.tap \
    --test-reporter=spec --test-reporter-destination=stdout tests/security/ || status=1
fi

echo
node scripts/summarize.mjs || status=1
exit $status
