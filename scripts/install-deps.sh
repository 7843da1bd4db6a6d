#!/usr/bin/env bash
# Installs what the build and the end-to-end tests need; idempotent and quiet when all is there.
#   System: Dovecot (IMAP server for e2e tests), openssl, tmux, socat, python3, and Wireshark's
#           tshark, capinfos, editcap and text2pcap (pcapng capture tests) (Debian packages).
#   Node:   node_modules from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "install-deps: $*"; }
die() { echo "install-deps: ERROR: $*" >&2; exit 1; }

# Runs a command with its output kept aside; shows the output's tail only if it fails.
quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 30 "$out" >&2
    rm -f "$out"
    return "$rc"
  fi
  rm -f "$out"
}

# /usr/sbin is often not on a normal user's PATH, so look there too.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

need_apt=0
for bin in dovecot openssl tmux socat python3 tshark capinfos editcap text2pcap; do have "$bin" || need_apt=1; done
# dovecot-core alone has no IMAP: the imap modules come with dovecot-imapd.
[ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/imap-login ] || need_apt=1

if [ "$need_apt" -eq 1 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "system packages missing and not root and no sudo: install dovecot-imapd dovecot-core openssl tmux socat python3 tshark"
  fi
  log "installing system packages (dovecot-imapd dovecot-core openssl tmux socat python3 tshark)"
  quiet "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
  quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    dovecot-imapd dovecot-core openssl tmux socat python3 tshark || die "apt-get install failed"
  [ -x /usr/lib/dovecot/imap ] || die "dovecot imap module still missing after install"
fi

# npm writes node_modules/.package-lock.json on every install: newer lock file => reinstall.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
   { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  command -v npm >/dev/null 2>&1 || die "npm not found (need Node >= 20)"
  log "installing node modules"
  npm_flags=(--no-audit --no-fund --loglevel=error)
  if [ -f package-lock.json ] && quiet npm ci "${npm_flags[@]}"; then
    :
  else
    log "npm ci failed or no package-lock.json; trying npm install"
    quiet npm install "${npm_flags[@]}" || die "npm install failed"
  fi
fi
