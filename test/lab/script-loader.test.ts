import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScript, ScriptLoadError } from '../../src/lab/script-loader';

const dir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-script-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function loadError(file: string): Promise<string> {
  try {
    await loadScript(file);
  } catch (err) {
    assert.ok(err instanceof ScriptLoadError, `a ScriptLoadError, not ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err.message;
  }
  throw new Error(`${file} loaded`);
}

test('an ES module (.mjs) with named exports', async () => {
  const file = write('esm.mjs', 'export function onFrame() { return { action: "drop" }; }\nexport const helper = 1;\n');
  const s = await loadScript(file);
  assert.deepEqual(Object.keys(s.hooks), ['onFrame']);
  assert.deepEqual(s.hooks.onFrame?.(), { action: 'drop' });
  assert.equal(s.label, 'esm.mjs');
});

test('a CommonJS module (.cjs, exports.x and module.exports = {...})', async () => {
  const a = await loadScript(write('a.cjs', 'exports.onSessionOpen = () => undefined;\nexports.onSessionClose = () => undefined;\n'));
  assert.deepEqual(Object.keys(a.hooks), ['onSessionOpen', 'onSessionClose']);
  const b = await loadScript(write('b.cjs', 'const hooks = { onFrame() { return 1; }, onIdlePhase() { return 2; } };\nmodule.exports = hooks;\n'));
  assert.deepEqual(Object.keys(b.hooks), ['onFrame', 'onIdlePhase']);
  assert.equal(b.hooks.onIdlePhase?.(), 2);
});

test('a .js file follows the nearest package.json "type"; export default {...} works', async () => {
  write('esm-pkg/package.json', '{ "type": "module" }');
  const esm = await loadScript(write('esm-pkg/hooks.js', 'export default { onFrame() { return "esm"; } };\n'));
  assert.equal(esm.hooks.onFrame?.(), 'esm');
  write('cjs-pkg/package.json', '{ "type": "commonjs" }');
  const cjs = await loadScript(write('cjs-pkg/hooks.js', 'module.exports.onFrame = function () { return typeof require; };\n'));
  assert.equal(cjs.hooks.onFrame?.(), 'function');
});

test('a path relative to the working directory', async () => {
  write('rel/r.cjs', 'exports.onFrame = () => undefined;\n');
  const s = await loadScript('rel/r.cjs', dir);
  assert.equal(s.path, path.join(dir, 'rel/r.cjs'));
});

test('module state is kept: hooks share their module scope', async () => {
  const s = await loadScript(write('state.cjs', 'let n = 0;\nexports.onFrame = () => ++n;\n'));
  assert.deepEqual([s.hooks.onFrame?.(), s.hooks.onFrame?.()], [1, 2]);
});

test('missing file, directory, not JavaScript: one line naming the file', async () => {
  assert.equal(await loadError(path.join(dir, 'nope.js')), `script ${path.join(dir, 'nope.js')}: no such file`);
  mkdirSync(path.join(dir, 'adir.js'), { recursive: true });
  assert.match(await loadError(path.join(dir, 'adir.js')), /adir\.js: not a file$/);
  assert.match(await loadError(write('hooks.ts', 'export const onFrame = () => undefined;\n')), /hooks\.ts: not a \.js, \.mjs or \.cjs module \(compile TypeScript to JavaScript first\)$/);
});

test('syntax errors name the line, ESM and CommonJS', async () => {
  assert.equal(await loadError(write('bad.mjs', 'export function onFrame() {\n  return {\n}\n}}\n')),
    `script ${path.join(dir, 'bad.mjs')}: syntax error at line 4: Unexpected token '}'`);
  assert.equal(await loadError(write('bad.cjs', 'exports.onFrame = function () {\n  return (\n};\n')),
    `script ${path.join(dir, 'bad.cjs')}: syntax error at line 3: Unexpected token '}'`);
});

test('a module that throws while loading, or imports what is missing', async () => {
  assert.match(await loadError(write('top.cjs', '\n\nthrow new RangeError("no config");\n')), /top\.cjs: does not load: RangeError: no config \(line 3\)$/);
  assert.match(await loadError(write('imp.mjs', 'import "./missing-dependency.mjs";\nexport const onFrame = () => 1;\n')),
    /imp\.mjs: does not load: Error \[ERR_MODULE_NOT_FOUND\]: Cannot find module .*missing-dependency\.mjs/);
});

test('no hook, a hook that is not a function, a misspelt hook', async () => {
  assert.match(await loadError(write('none.cjs', 'exports.helper = () => 1;\n')), /none\.cjs: exports no hook \(expected one of onSessionOpen, onFrame, onIdlePhase, onSessionClose\)$/);
  assert.match(await loadError(write('empty.mjs', '')), /empty\.mjs: exports no hook/);
  assert.match(await loadError(write('num.cjs', 'exports.onFrame = 42;\n')), /num\.cjs: onFrame is a number, not a function$/);
  assert.match(await loadError(write('obj.mjs', 'export const onIdlePhase = { name: "x" };\n')), /obj\.mjs: onIdlePhase is an object, not a function$/);
  assert.match(await loadError(write('typo.cjs', 'exports.onframe = () => 1;\n')), /typo\.cjs: exports 'onframe', which is not a hook \(hooks: onSessionOpen, onFrame, onIdlePhase, onSessionClose\)$/);
  assert.match(await loadError(write('typo2.mjs', 'export const onFrame = () => 1;\nexport const onIdle = () => 1;\n')), /typo2\.mjs: exports 'onIdle', which is not a hook/);
  // Not hook-like names are the script's own business.
  const ok = await loadScript(write('online.cjs', 'exports.onFrame = () => 1;\nexports.online = true;\nexports.once = () => 1;\n'));
  assert.deepEqual(Object.keys(ok.hooks), ['onFrame']);
});
