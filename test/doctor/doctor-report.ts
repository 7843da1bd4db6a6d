// Runs `imapdbg doctor ... --json` as a user would and reads its report.
import assert from 'node:assert/strict';
import { runImapdbg } from '../harness/imapdbg-process';
import { ITEM_IDS, type DoctorItem, type Verdict } from '../../src/doctor/report';

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The items by id (empty when the output was not a JSON report). */
  items: Map<string, DoctorItem>;
}

export async function runDoctorCli(args: string[]): Promise<DoctorRun> {
  const r = await runImapdbg(['doctor', ...args], 180_000);
  const stdout = r.stdout.toString('utf8');
  const items = new Map<string, DoctorItem>();
  if (args.includes('--json') && stdout.trim() !== '') {
    const parsed = JSON.parse(stdout) as { items: DoctorItem[] };
    for (const i of parsed.items) items.set(i.id, i);
    assert.deepEqual([...items.keys()], [...ITEM_IDS], 'every item, in order');
  }
  return { code: r.code, stdout, stderr: r.stderr, items };
}

export function verdicts(run: DoctorRun): Record<string, Verdict> {
  return Object.fromEntries([...run.items].map(([id, i]) => [id, i.verdict]));
}

/** No stack trace or internal error text in what a user sees. */
export function assertNoStack(run: DoctorRun): void {
  assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at |TypeError|ReferenceError|Unhandled/);
}
