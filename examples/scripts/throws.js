// @ts-check
// imapdbg proxy --upstream HOST:143 --script examples/scripts/throws.js
//
// A broken script: onFrame throws on every frame. imapdbg forwards each frame unchanged, records a
// `hook-error` (the first few, then at most one every 10 seconds, with the number left unreported)
// and keeps running.
'use strict';

/** @type {import('../../types/imapdbg-script').OnFrame} */
exports.onFrame = (frame) => {
  throw new Error(`this script always throws (frame ${frame.seq})`);
};
