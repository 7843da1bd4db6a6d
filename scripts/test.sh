#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs (npm packages, Debian's
# dovecot-imapd, tmux, socat), checks the layering, builds, and runs every test with node's
# built-in runner.
#   bash scripts/test.sh        every test (npm test)
#   bash scripts/test.sh unit   only tests that need no system package and no Dovecot
#                               (npm run test:unit; node_modules must be installed: npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
case "$mode" in
  all) bash scripts/install-deps.sh ;;
  unit) ;;
  *) echo "usage: bash scripts/test.sh [all|unit]" >&2; exit 2 ;;
esac
node scripts/check-layers.js
rm -rf dist
npx --no-install tsc -p tsconfig.json
# Each test file runs in its own process; end-to-end files start their own Dovecot on fresh ports.
# The timeout only turns a hang into a failure; no test asserts on time.
# Name the *.test.js files: given a directory, node 20 runs every .js file under a "test" folder,
# helpers included (the fixture recorder would re-record fixtures/ in the middle of the run).
# Which files `unit` leaves out is decided by scripts/select-tests.js (test/e2e, and whatever
# reaches the Dovecot, python or tmux harnesses or spawns socat/tshark).
mapfile -t files < <(node scripts/select-tests.js "$mode")
exec node --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
