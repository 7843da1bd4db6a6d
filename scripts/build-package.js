#!/usr/bin/env node
'use strict';
// `npm prepack` (runs on `npm pack` and `npm publish`, not on installs: no install script to allow):
// builds what the package ships, dist/src, from scratch so no stale module from an older layout is
// packed, after the layering check. Tests and benches are not built here (`npm run build` does).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  process.stderr.write('build-package: typescript is not installed (run `npm ci` first)\n');
  process.exit(2);
}
run([path.join(__dirname, 'check-layers.js')]);
fs.rmSync(path.join(root, 'dist', 'src'), { recursive: true, force: true });
run([tsc, '-p', 'tsconfig.build.json']);
