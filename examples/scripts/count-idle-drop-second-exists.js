// @ts-check
// imapdbg proxy --upstream HOST:143 --script examples/scripts/count-idle-drop-second-exists.js
//
// Counts IDLE periods (across all sessions: module scope lives as long as the proxy) and drops
// every second `* N EXISTS` the server sends in each session: a client that reads the number in
// the next EXISTS still gets the mailbox size right; one that counts EXISTS responses does not.
// When an IDLE ends, the client gets an untagged `* OK imapdbg script: N IDLE periods so far`
// (harmless to a client, and shown as sent by imapdbg, not the server).
'use strict';

let idlePeriods = 0;

/** @type {import('../../types/imapdbg-script').OnIdlePhase} */
exports.onIdlePhase = (phase) => {
  if (phase.name === 'accepted') idlePeriods += 1;
  if (phase.name === 'ended') return { action: 'inject', to: 'client', text: `* OK imapdbg script: ${idlePeriods} IDLE periods so far` };
  return undefined;
};

/** @type {import('../../types/imapdbg-script').OnFrame} */
exports.onFrame = (frame, ctx) => {
  if (frame.direction !== 'server' || frame.kind !== 'untagged' || frame.verb !== 'EXISTS') return undefined;
  const seen = Number(ctx.sessionData.exists ?? 0) + 1;
  ctx.sessionData.exists = seen;
  return seen % 2 === 0 ? { action: 'drop' } : undefined;
};

/** What the script counted (not a hook: for whoever loads the module, such as a test). */
exports.counts = () => ({ idlePeriods });
