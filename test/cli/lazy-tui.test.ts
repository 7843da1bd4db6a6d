// The CLI loads the terminal UI (blessed) only for a command that opens it (issue 10): blessed cost
// ~5 MB of RSS in every process, the headless proxy's included (1,000 idle sessions went over 100 MB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

test('building the command tree (what every command does) loads no blessed module', () => {
  const main = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');
  // A fresh process: this one's module cache may hold anything other tests loaded.
  const out = execFileSync(process.execPath, ['-e', `
    require(${JSON.stringify(main)}).buildProgram();
    const loaded = Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/]blessed[\\\\/]/.test(f));
    process.stdout.write(String(loaded.length));
  `], { encoding: 'utf8' });
  assert.equal(out, '0', 'blessed modules loaded by the command tree');
});
