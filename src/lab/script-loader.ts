import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The hooks a `--script` module may export (types/imapdbg-script.d.ts documents them for script authors). */
export const HOOK_NAMES = ['onSessionOpen', 'onFrame', 'onIdlePhase', 'onSessionClose'] as const;
export type HookName = typeof HOOK_NAMES[number];

/** A hook as imapdbg holds it: called with plain, frozen views; what it returns is checked before use. */
export type HookFunction = (...args: never[]) => unknown;

/** A script module, loaded and checked: at least one hook, every hook a function. */
export interface LoadedScript {
  /** Absolute path of the module. */
  path: string;
  /** The file name, for change sources and messages (`script count.js:onFrame`). */
  label: string;
  hooks: Partial<Record<HookName, HookFunction>>;
}

/** A script that cannot run: `message` is one line naming the file and the reason (the CLI prints it and exits 2). */
export class ScriptLoadError extends Error {}

const EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * `import()` as Node does it, kept out of reach of tsc: with `module: commonjs` tsc would turn a
 * literal `import()` into `require()`, which cannot load an ES module. Node's own loader then tells
 * ESM from CommonJS by extension and the nearest package.json "type", as it does for `node FILE`.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/** Load a script module (ES module or CommonJS) and check its hooks; throws ScriptLoadError. */
export async function loadScript(file: string, cwd: string = process.cwd()): Promise<LoadedScript> {
  const full = path.resolve(cwd, file);
  const label = path.basename(full);
  const fail = (reason: string): ScriptLoadError => new ScriptLoadError(`script ${file}: ${reason}`);
  let isFile: boolean;
  try {
    isFile = statSync(full).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`);
  }
  if (!isFile) throw fail('not a file');
  const ext = path.extname(full).toLowerCase();
  if (!EXTENSIONS.includes(ext)) throw fail(`not a .js, .mjs or .cjs module${ext === '.ts' || ext === '.mts' || ext === '.cts' ? ' (compile TypeScript to JavaScript first)' : ''}`);
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(pathToFileURL(full).href);
  } catch (err) {
    throw fail(loadFailure(err, full));
  }
  return { path: full, label, hooks: hooksOf(namespace, fail) };
}

/**
 * The hooks of a module namespace: its named exports, or, when it has none, the properties of its
 * default export (`module.exports = {...}` whose names Node could not detect, `export default {...}`).
 */
function hooksOf(namespace: Record<string, unknown>, fail: (reason: string) => ScriptLoadError): LoadedScript['hooks'] {
  const fromNamed = HOOK_NAMES.some((name) => name in namespace);
  const fallback = namespace.default;
  const source: Record<string, unknown> = fromNamed || (typeof fallback !== 'object' && typeof fallback !== 'function') || fallback === null
    ? namespace
    : fallback as Record<string, unknown>;
  const known = new Set<string>(HOOK_NAMES);
  const lowerKnown = new Set(HOOK_NAMES.map((n) => n.toLowerCase()));
  for (const key of Object.keys(source)) {
    // A misspelt hook would silently never run: anything named like a hook (`onXxx`, `onframe`) must be one.
    if ((/^on[A-Z]/.test(key) || lowerKnown.has(key.toLowerCase())) && !known.has(key)) {
      throw fail(`exports '${printableName(key)}', which is not a hook (hooks: ${HOOK_NAMES.join(', ')})`);
    }
  }
  const hooks: LoadedScript['hooks'] = {};
  for (const name of HOOK_NAMES) {
    const value = source[name];
    if (value === undefined) continue;
    if (typeof value !== 'function') throw fail(`${name} is ${describe(value)}, not a function`);
    hooks[name] = value as HookFunction;
  }
  if (Object.keys(hooks).length === 0) throw fail(`exports no hook (expected one of ${HOOK_NAMES.join(', ')})`);
  return hooks;
}

/** Why a module did not load, in one line; a syntax error names its line. */
function loadFailure(err: unknown, full: string): string {
  if (!(err instanceof Error)) return `does not load: ${oneLine(String(err))}`;
  if (err instanceof SyntaxError) {
    const where = lineOf(err.stack ?? '', full) ?? checkedLine(full);
    return `syntax error${where !== undefined ? ` at line ${where}` : ''}: ${oneLine(err.message)}`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  const where = lineOf(err.stack ?? '', full);
  return `does not load: ${err.name}${code ? ` [${code}]` : ''}: ${oneLine(err.message)}${where !== undefined ? ` (line ${where})` : ''}`;
}

/** The line of `file` that a stack names first (CommonJS syntax errors start with `FILE:LINE`). */
function lineOf(stack: string, full: string): number | undefined {
  const url = pathToFileURL(full).href;
  for (const line of stack.split('\n')) {
    for (const prefix of [full, url]) {
      const at = line.indexOf(`${prefix}:`);
      if (at < 0) continue;
      const m = /^:(\d+)/.exec(line.slice(at + prefix.length));
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/** Node 20 does not say where an ES module's syntax error is; `node --check` does (once, at startup). */
function checkedLine(full: string): number | undefined {
  const r = spawnSync(process.execPath, ['--check', full], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? undefined : lineOf(r.stderr ?? '', full);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

function printableName(key: string): string {
  return oneLine(key).slice(0, 60);
}
