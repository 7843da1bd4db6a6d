import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHookResult } from '../../src/lab/script-actions';
import type { ScriptContextView, ScriptFrameView, ScriptIdlePhaseView, ScriptSessionView } from '../../src/lab/script-view';
import type { Action, HookContext, IdlePhase, ScriptFrame, ScriptSession } from '../../types/imapdbg-script';

const root = path.join(__dirname, '..', '..', '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });

// What imapdbg hands a script must be what the shipped types promise (this file does not compile otherwise).
export const viewsMatchTheShippedTypes = {
  frame: (v: ScriptFrameView): ScriptFrame => v,
  phase: (v: ScriptIdlePhaseView): IdlePhase => v,
  context: (v: ScriptContextView): HookContext => v,
  session: (v: ScriptSessionView): ScriptSession => v,
};

/**
 * Type-check files with the options a script author would use (strict, JS checked through JSDoc)
 * against types/imapdbg-script.d.ts, which needs nothing but the ES2022 library (no @types/node).
 */
function typeCheck(files: string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-script-tsc-'));
  try {
    const config = path.join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      compilerOptions: { noEmit: true, strict: true, allowJs: true, checkJs: true, target: 'es2022', lib: ['es2022'], module: 'commonjs', moduleResolution: 'node', types: [] },
      files: files.map((f) => path.resolve(root, f)),
    }));
    const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every action the .d.ts allows is accepted at run time', () => {
  const all: Action[] = [
    { action: 'drop' }, { action: 'delay', ms: 500 }, { action: 'replace', text: '* OK x' }, { action: 'replace', parts: ['a {1}', { literal: 'x' }, ''] },
    { action: 'replace', bytes: new Uint8Array([0x2a, 0x0d, 0x0a]) }, { action: 'slice', bytes: 3 }, { action: 'throttle', bytesPerSecond: 10 },
    { action: 'inject', text: '* OK hi' }, { action: 'inject', to: 'server', text: 'a NOOP' }, { action: 'blackhole' },
    { action: 'reset' }, { action: 'reset', side: 'client' }, { action: 'close', side: 'both' },
  ];
  for (const a of all) assert.ok(checkHookResult(a).ok, JSON.stringify(a));
});

test('the example scripts type-check against the shipped .d.ts with tsc (JS through JSDoc, TS directly)', () => {
  const examples = ['count-idle-drop-second-exists.js', 'throws.js', 'typed-hooks.ts'].map((f) => path.join('examples', 'scripts', f));
  const r = typeCheck([path.join('types', 'imapdbg-script.d.ts'), ...examples]);
  assert.equal(r.status, 0, r.output);
});

test('a script with a misspelt action, a missing field or a write to a frame does not type-check', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-script-types-'));
  try {
    const file = path.join(dir, 'bad-hooks.ts');
    const types = path.join(root, 'types', 'imapdbg-script').split(path.sep).join('/');
    writeFileSync(file, `import type { Action, OnFrame, OnSessionOpen } from '${types}';
export const misspelt: Action = { action: 'dorp' };
export const noMs: Action = { action: 'delay' };
export const writes: OnFrame = (frame) => { frame.seq = 1; };
export const frameActionOnOpen: OnSessionOpen = () => ({ action: 'drop' });
export const fine: OnFrame = async (frame) => (frame.verb === 'EXISTS' ? [{ action: 'drop' }] : undefined);
`);
    const r = typeCheck([path.join('types', 'imapdbg-script.d.ts'), file]);
    assert.notEqual(r.status, 0);
    const lines = r.output.split('\n').filter((l) => l.includes('bad-hooks.ts('));
    assert.deepEqual(lines.map((l) => /\((\d+),\d+\): error (TS\d+)/.exec(l)?.slice(1).join(' ')), ['2 TS2322', '3 TS2322', '4 TS2540', '5 TS2322'], r.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
