#!/usr/bin/env node
'use strict';
// Enforces the layering of src/ (run by scripts/test.sh and `npm run build` before tsc):
// - src/imap/ is the pure IMAP core: no I/O modules (net, tls, fs, ...), no blessed, and no imports
//   from other layers (through which I/O would come in);
// - commander (the command line) is used only under src/cli/.
// Usage: node scripts/check-layers.js [ROOT]   (ROOT holds src/; default: the repository)
// Prints one `file:line: reason` per violation and exits 1 when there is any.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const src = path.join(root, 'src');

/** Node modules that do I/O; with or without the `node:` prefix, and their subpaths (fs/promises). */
const IO_MODULES = ['net', 'tls', 'fs', 'child_process', 'dgram', 'http', 'https', 'http2', 'readline', 'worker_threads'];

/** The module specifiers a line imports: import/export ... from, side-effect import, require(), import(). */
function specifiers(line) {
  const found = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /^\s*import\s+['"]([^'"]+)['"]/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of line.matchAll(re)) found.push(m[1]);
  return found;
}

function isIoModule(spec) {
  const bare = spec.replace(/^node:/, '');
  return IO_MODULES.some((m) => bare === m || bare.startsWith(`${m}/`));
}

function isPackage(spec, name) {
  return spec === name || spec.startsWith(`${name}/`);
}

/** Why `spec`, imported by `file` (relative to src/), breaks the layering; undefined when it does not. */
function violation(file, spec) {
  const inImap = file.startsWith('imap/');
  if (inImap && isIoModule(spec)) return `'${spec}' in src/imap: the IMAP core does no I/O`;
  if (inImap && isPackage(spec, 'blessed')) return `'${spec}' in src/imap: the IMAP core has no terminal UI`;
  if (inImap && spec.startsWith('.')) {
    const target = path.relative(src, path.resolve(src, path.dirname(file), spec)).split(path.sep).join('/');
    if (!target.startsWith('imap/') && target !== 'imap') return `'${spec}' in src/imap: the IMAP core imports only src/imap`;
  }
  if (isPackage(spec, 'commander') && !file.startsWith('cli/')) return `'${spec}' outside src/cli: only the command line uses commander`;
  return undefined;
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

if (!fs.existsSync(src)) {
  process.stderr.write(`check-layers: no src/ under ${root}\n`);
  process.exit(2);
}
const problems = [];
for (const abs of sourceFiles(src).sort()) {
  const file = path.relative(src, abs).split(path.sep).join('/');
  let inBlockComment = false;
  fs.readFileSync(abs, 'utf8').split('\n').forEach((text, i) => {
    // Skip comments, so a doc comment quoting `from 'fs'` is not an import.
    let line = text;
    if (inBlockComment) {
      const end = line.indexOf('*/');
      if (end < 0) return;
      line = line.slice(end + 2);
      inBlockComment = false;
    }
    line = line.replace(/\/\*.*?\*\//g, '');
    const open = line.indexOf('/*');
    if (open >= 0) { inBlockComment = true; line = line.slice(0, open); }
    if (/^\s*\/\//.test(line)) return;
    for (const spec of specifiers(line)) {
      const why = violation(file, spec);
      if (why) problems.push(`src/${file}:${i + 1}: ${why}`);
    }
  });
}
for (const p of problems) process.stderr.write(`${p}\n`);
if (problems.length > 0) {
  process.stderr.write(`check-layers: ${problems.length} layering violation${problems.length === 1 ? '' : 's'}\n`);
  process.exit(1);
}
