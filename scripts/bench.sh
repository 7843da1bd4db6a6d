#!/usr/bin/env bash
# imapdbg benchmark (issue 2): builds, then runs dist/bench/run-bench.js with the given arguments.
#   npm run bench                 full run; writes BENCHMARKS.md
#   npm run bench -- --quick      smaller sizes for fast iterations (writes nothing unless --out FILE)
#   npm run bench -- --profile    CPU-profile the imapdbg children and print their hot spots
# mitmproxy is measured when `mitmdump` is on PATH; this script never installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi
npx tsc -p tsconfig.json

# 1,000 idle sessions need ~2,000 descriptors in the proxy (and 1,000 each in client and server).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  echo "bench: warning: only $(ulimit -n) file descriptors; the idle-session phase may fail" >&2
fi

exec node dist/bench/run-bench.js "$@"
