#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine, then npm ci.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v clang >/dev/null || need+=(clang)
command -v emcc >/dev/null || need+=(emscripten)
command -v node >/dev/null || need+=(nodejs npm)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ -d /usr/src/googletest ] || need+=(libgtest-dev)
# Real browsers for the end-to-end tests: Chromium (playwright-core), Firefox
# ESR (puppeteer-core over WebDriver BiDi), WebKitGTK (WebKitWebDriver, under Xvfb).
command -v chromium >/dev/null || need+=(chromium)
command -v firefox-esr >/dev/null || need+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || need+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || need+=(xvfb)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)  # text in screenshots
# Jupyter's own notebook checks, for the notebooks the CLI writes (tests/js/cli-ask.test.mjs).
/usr/bin/python3 -c 'import nbformat' 2>/dev/null || need+=(python3-nbformat)
/usr/bin/python3 -c 'import nbconvert' 2>/dev/null || need+=(python3-nbconvert)
# The fuzzer runtime for clang (tests/fuzz).
ls /usr/lib/llvm-14/lib/clang/14*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # puppeteer-core never downloads a browser; the variable keeps it that way.
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
echo "setup: ok"
