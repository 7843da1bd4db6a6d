/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time and
 * the most inclusive time, with positions mapped back to the TypeScript sources through the
 * compiled files' source maps.
 *
 *   node dist/bench/cpuprofile-summary.js FILE.cpuprofile [TOP]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface HotSpot {
  name: string;
  /** `file:line` (TypeScript source when a source map knows it). */
  where: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples in which the process was idle (waiting in epoll) or collecting garbage. */
  idlePct: number;
  gcPct: number;
  bySelf: HotSpot[];
  byTotal: HotSpot[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  if (maps.has(file)) return maps.get(file) ?? null;
  let map: SourceMap | null = null;
  try {
    const mapFile = `${file}.map`;
    if (existsSync(mapFile)) map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  } catch { map = null; }
  maps.set(file, map);
  return map;
}

function location(cf: CallFrame, root: string): string {
  if (!cf.url) return '(native)';
  let file = cf.url;
  if (file.startsWith('file://')) {
    try { file = fileURLToPath(file); } catch { /* keep the URL */ }
  }
  if (file.startsWith('node:')) return `${file}:${cf.lineNumber + 1}`;
  const map = path.isAbsolute(file) ? sourceMapFor(file) : null;
  if (map && cf.lineNumber >= 0) {
    const entry = map.findEntry(cf.lineNumber, Math.max(0, cf.columnNumber)) as
      { originalSource?: string; originalLine?: number } | Record<string, never>;
    if ('originalSource' in entry && entry.originalSource && entry.originalLine !== undefined) {
      let src = entry.originalSource;
      if (src.startsWith('file://')) src = fileURLToPath(src);
      else if (!path.isAbsolute(src)) src = path.resolve(path.dirname(file), src);
      return `${path.relative(root, src)}:${entry.originalLine + 1}`;
    }
  }
  const rel = path.relative(root, file);
  return `${rel.startsWith('..') ? file : rel}:${cf.lineNumber + 1}`;
}

export function summarizeProfile(file: string, root: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = new Map<number, string>();
  const info = new Map<string, { name: string; where: string }>();
  for (const n of profile.nodes) {
    const where = location(n.callFrame, root);
    const name = n.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    keyOf.set(n.id, key);
    if (!info.has(key)) info.set(key, { name, where });
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute it to that sample.
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0) / 1000;
    all += dt;
    const id = profile.samples[i];
    const k = keyOf.get(id) ?? '?';
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const ck = keyOf.get(cur) ?? '?';
      if (seen.has(ck)) continue;
      seen.add(ck);
      total.set(ck, (total.get(ck) ?? 0) + dt);
    }
  }
  const spot = (k: string): HotSpot => {
    const s = self.get(k) ?? 0;
    const t = total.get(k) ?? 0;
    const i = info.get(k) ?? { name: k, where: '' };
    return { name: i.name, where: i.where, selfMs: s, selfPct: all ? (100 * s) / all : 0, totalMs: t, totalPct: all ? (100 * t) / all : 0 };
  };
  const pct = (name: string): number => {
    let s = 0;
    for (const [k, v] of self) if (info.get(k)?.name === name) s += v;
    return all ? (100 * s) / all : 0;
  };
  const skip = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);
  const keys = [...info.keys()];
  return {
    file,
    totalMs: all,
    idlePct: pct('(idle)'),
    gcPct: pct('(garbage collector)'),
    bySelf: keys.filter((k) => (self.get(k) ?? 0) > 0).sort((a, b) => (self.get(b) ?? 0) - (self.get(a) ?? 0)).slice(0, top).map(spot),
    byTotal: keys.filter((k) => !skip.has(info.get(k)?.name ?? '')).sort((a, b) => (total.get(b) ?? 0) - (total.get(a) ?? 0)).slice(0, top).map(spot),
  };
}

export function formatProfileSummary(s: ProfileSummary, root: string): string {
  const lines: string[] = [];
  lines.push(`${path.relative(root, s.file)}: ${(s.totalMs / 1000).toFixed(2)} s sampled, idle ${s.idlePct.toFixed(1)}%, GC ${s.gcPct.toFixed(1)}%`);
  lines.push('  self time:');
  for (const h of s.bySelf) lines.push(`    ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}  ${h.where}`);
  lines.push('  inclusive time:');
  for (const h of s.byTotal) lines.push(`    ${h.totalPct.toFixed(1).padStart(5)}%  ${h.name}  ${h.where}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  const root = path.resolve(__dirname, '..', '..');
  process.stdout.write(`${formatProfileSummary(summarizeProfile(file, root, Number(process.argv[3] ?? 15)), root)}\n`);
}
