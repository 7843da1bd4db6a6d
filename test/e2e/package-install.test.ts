// Installable the way Node CLIs are: `npm pack` builds and ships what runs (and only that), and the
// tarball installed globally into a fresh prefix gives a working `imapdbg`. The pack runs in a copy
// of the sources, so the build it triggers never touches the dist/ other tests are running from.
// Under test/e2e: the install may reach the npm registry for the runtime dependencies when they are
// not in npm's cache (--prefer-offline uses the cache first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
/** What the package build needs from the repository. */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'bin', 'src', 'scripts', 'fixtures', 'types', 'examples'];

/** The environment without the outer npm's settings (npm test sets npm_config_* for its scripts). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

test('npm pack ships bin and dist, and a global install in a fresh prefix runs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-pack-'));
  try {
    const copy = path.join(tmp, 'src-copy');
    fs.mkdirSync(copy);
    for (const name of SOURCES) {
      if (fs.existsSync(path.join(REPO, name))) fs.cpSync(path.join(REPO, name), path.join(copy, name), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');

    const packed = run('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], copy);
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = path.join(tmp, packed.stdout.trim().split('\n').pop() ?? '');
    const listed = run('tar', ['tzf', tarball], tmp);
    assert.equal(listed.status, 0, listed.stderr);
    const files = listed.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    assert.ok(files.includes('bin/imapdbg'), files.join('\n'));
    assert.ok(files.includes('dist/src/cli/main.js'), files.join('\n'));
    assert.ok(files.includes('fixtures/idle-updates.pcapng'), 'the demo fixture is shipped');
    assert.ok(files.includes('types/imapdbg-script.d.ts'), 'the types for --script authors are shipped');
    assert.ok(files.includes('examples/scripts/count-idle-drop-second-exists.js'), 'the example scripts are shipped');
    assert.deepEqual(files.filter((f) => /(^|\/)test\/|(?<!\.d)\.ts$|\.map$|^bench\//.test(f)), [], 'no tests, sources or maps');

    const prefix = path.join(tmp, 'prefix');
    const installed = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], tmp);
    assert.equal(installed.status, 0, installed.stderr);
    const bin = path.join(prefix, 'bin', 'imapdbg');

    const help = run(bin, ['--help'], tmp);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: imapdbg /m);
    const version = run(bin, ['--version'], tmp);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
    // The demo runs entirely from the package: its fixture, the replay, the proxy, the client.
    const demo = run(bin, ['demo', '--headless', '--speed', '50'], tmp);
    assert.equal(demo.status, 0, demo.stderr);
    assert.match(demo.stderr, /the client received "\* 3 EXISTS" while idling/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
