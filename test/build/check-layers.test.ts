// scripts/check-layers.js: the layering the build enforces (src/imap does no I/O, commander only in
// src/cli). A planted violation in a temporary tree must be caught with its file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const SCRIPT = path.join(REPO, 'scripts/check-layers.js');

function check(root: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-layers-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

test('the repository itself keeps the layering', () => {
  const r = check(REPO);
  assert.equal(r.code, 0, r.stderr);
});

test('planted violations are reported with file and line, and fail the check', () => {
  const root = tree({
    'src/imap/clean.ts': "import { createHash } from 'node:crypto';\nimport type { Frame } from './frame';\n// reads from 'fs' in a comment: not an import\n/* import * as fs from 'node:fs'; */\n",
    'src/imap/reader.ts': "import type { Frame } from './frame';\nimport * as fs from 'node:fs';\nimport { readFile } from 'fs/promises';\n",
    'src/imap/lint/socket.ts': "const net = require('net');\n",
    'src/imap/screen.ts': "import blessed from 'blessed';\n",
    'src/imap/upward.ts': "import { ProxyServer } from '../proxy/proxy-server';\n",
    'src/replay/options.ts': "\nimport { Command } from 'commander';\n",
    'src/cli/main.ts': "import { Command } from 'commander';\nimport * as fs from 'node:fs';\n",
  });
  try {
    const r = check(root);
    assert.equal(r.code, 1);
    const reported = r.stderr.split('\n').filter((l) => l.startsWith('src/')).map((l) => l.replace(/: .*$/, ''));
    assert.deepEqual(reported.sort(), [
      'src/imap/lint/socket.ts:1', 'src/imap/reader.ts:2', 'src/imap/reader.ts:3', 'src/imap/screen.ts:1',
      'src/imap/upward.ts:1', 'src/replay/options.ts:2',
    ]);
    assert.match(r.stderr, /src\/imap\/reader\.ts:2: 'node:fs' in src\/imap: the IMAP core does no I\/O/);
    assert.match(r.stderr, /src\/replay\/options\.ts:2: 'commander' outside src\/cli/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
