#!/usr/bin/env bash
# Sets up, builds the core for the browser and the app (dist/), and serves
# the app on http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-wasm.sh --target ci_core_module
npm run build
exec node scripts/serve.mjs "$@"
