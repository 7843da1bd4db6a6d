#!/usr/bin/env node
'use strict';
// Lists the compiled test files to run, one per line, sorted.
//   node scripts/select-tests.js all    every dist/test/**/*.test.js (what `npm test` runs)
//   node scripts/select-tests.js unit   those that need no system package (`npm run test:unit`)
// The convention for `unit`: a test needs system packages when it lives under test/e2e/, or when
// it reaches through its imports a harness that starts one (Dovecot, python3, tmux), or a module
// that spawns socat, tshark, tmux, python3 or doveadm. Such tests are left out; nothing to mark by hand.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const distTest = path.join(root, 'dist', 'test');

/** Harness modules that start a system program (relative to dist/test, without .js). */
const SYSTEM_HARNESSES = new Set(['harness/dovecot', 'harness/python', 'tui/tmux-pane']);
/** A module that runs one of these programs itself. */
const SPAWNS_SYSTEM_TOOL = /\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"`](?:socat|tshark|tmux|python3|doveadm|dovecot)\b/;

function testFiles(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** Relative modules a compiled file requires, as absolute .js paths. */
function requires(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    for (const candidate of [base, `${base}.js`, path.join(base, 'index.js')]) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) { out.push(candidate); break; }
    }
  }
  return out;
}

const needsSystemCache = new Map();
/** Whether a compiled module (or anything it requires) needs a system program. */
function needsSystem(file, visiting = new Set()) {
  if (needsSystemCache.has(file)) return needsSystemCache.get(file);
  if (visiting.has(file)) return false;
  visiting.add(file);
  const rel = path.relative(distTest, file).split(path.sep).join('/').replace(/\.js$/, '');
  const direct = SYSTEM_HARNESSES.has(rel) || (rel.startsWith('e2e/') && rel.endsWith('.test')) || SPAWNS_SYSTEM_TOOL.test(fs.readFileSync(file, 'utf8'));
  const result = direct || requires(file).some((dep) => needsSystem(dep, visiting));
  needsSystemCache.set(file, result);
  return result;
}

const mode = process.argv[2] ?? 'all';
if (mode !== 'all' && mode !== 'unit') {
  process.stderr.write('usage: node scripts/select-tests.js all|unit\n');
  process.exit(2);
}
const files = testFiles(distTest).sort();
if (files.length === 0) {
  process.stderr.write('select-tests: no compiled tests under dist/test (build first)\n');
  process.exit(2);
}
for (const f of files) {
  if (mode === 'all' || !needsSystem(f)) process.stdout.write(`${path.relative(root, f)}\n`);
}
