#!/usr/bin/env bash
# The README's first command (`npm run demo`): a whole IMAP session with IDLE through the proxy,
# replayed from a bundled Dovecot capture. No mail account, no mail server.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
npx tsc -p tsconfig.json
exec node bin/imapdbg demo "$@"
