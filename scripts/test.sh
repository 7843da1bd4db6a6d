#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs (npm packages, Debian's
# dovecot-imapd, tmux, socat), builds, and runs every test with node's built-in runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
rm -rf dist
npx --no-install tsc -p tsconfig.json
# Each test file runs in its own process; end-to-end files start their own Dovecot on fresh ports.
# The timeout only turns a hang into a failure; no test asserts on time.
# Name the *.test.js files: given a directory, node 20 runs every .js file under a "test" folder,
# helpers included (the fixture recorder would re-record fixtures/ in the middle of the run).
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
