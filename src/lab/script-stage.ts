import type { Direction, Frame } from '../imap/frame';
import { isIdlePhase } from '../imap/idle-tracker';
import type { ChangeSource } from '../imap/intervention';
import { maskClientBytes } from '../imap/secret-mask';
import { oneLineText } from '../imap/terminal-text';
import type { FrameStage, FrameVerdict, SessionCommand, StageContext, StageResult } from './frame-stage';
import { ReportLimiter } from './report-limiter';
import { checkHookResult, FRAME_ACTIONS, shortValue, type ScriptAction } from './script-actions';
import type { HookName, LoadedScript } from './script-loader';
import { frameView, idlePhaseViews, type ScriptContextView, type ScriptFrameView, type ScriptSessionView } from './script-view';

export interface ScriptRunnerOptions {
  /** Show scripts LOGIN passwords and AUTHENTICATE data (`--reveal-secrets`); masked otherwise. */
  revealSecrets: boolean;
  /** How long a frame is held for a hook's promise before it goes on unchanged (a hook error). */
  hookTimeoutMs?: number;
  /** Hook errors reported at once, and one more per `reportRefillMs` (the rest are counted, not reported). */
  reportBurst?: number;
  reportRefillMs?: number;
  /** Clock for the report rate (tests). */
  now?: () => number;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 5000;

/**
 * One `--script`, shared by every session: the module (whose scope keeps the script's state across
 * sessions), the options and one rate limit for hook-error reports.
 */
export class ScriptRunner {
  readonly hookTimeoutMs: number;
  readonly limiter: ReportLimiter;

  constructor(readonly script: LoadedScript, readonly options: ScriptRunnerOptions) {
    this.hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    this.limiter = new ReportLimiter(options.reportBurst ?? 5, options.reportRefillMs ?? 10_000, options.now ?? Date.now);
  }

  /** A stage for one new session (the session number comes with onSessionOpen or the first frame). */
  stage(): ScriptStage {
    return new ScriptStage(this);
  }
}

/** What one hook call came to. */
type HookOutcome = { hook: HookName; value: unknown } | { hook: HookName; error: unknown };

const FORWARD: StageResult = Object.freeze({ verdict: Object.freeze({ kind: 'forward' }) });

/**
 * Runs a script's hooks for one session (issue 11). Hooks are called synchronously, in order:
 * `onIdlePhase` for each IDLE phase the frame starts (the session model's IdleTracker annotates
 * every frame before the executor hands it on), then `onFrame`. Their actions become the frame's verdict
 * and session commands; the first frame action wins. A hook that returns a promise holds the
 * frame until it settles or `hookTimeoutMs` passes. A hook that throws, rejects, times out or
 * returns something that is not an action changes nothing: the frame goes on unchanged and a
 * `report` command records a `hook-error` (rate-limited).
 */
export class ScriptStage implements FrameStage {
  private sessionView: ScriptSessionView = Object.freeze({ id: 0 });
  private readonly sessionData: Record<string, unknown> = {};
  private emit: ((commands: SessionCommand[]) => void) | undefined;

  constructor(private readonly runner: ScriptRunner) {}

  onSessionOpen(session: number, emit: (commands: SessionCommand[]) => void): void {
    this.sessionView = Object.freeze({ id: session });
    this.emit = emit;
    const hook = this.runner.script.hooks.onSessionOpen;
    if (!hook) return;
    const outcome = this.call('onSessionOpen', () => hook(this.sessionView as never));
    const carry = (o: HookOutcome): void => {
      const commands = this.sessionCommands(o);
      if (commands.length > 0) emit(commands);
    };
    if (outcome instanceof Promise) void outcome.then(carry);
    else carry(outcome);
  }

  onSessionClose(): void {
    const hook = this.runner.script.hooks.onSessionClose;
    if (!hook) return;
    // Its return value is ignored: the session is over. Errors are still reported.
    const outcome = this.call('onSessionClose', () => hook(this.sessionView as never));
    const carry = (o: HookOutcome): void => {
      if (!('error' in o)) return;
      const report = this.report(o.hook, 'client', undefined, failure(o, this.runner.script.path));
      if (report) this.emit?.([report]);
    };
    if (outcome instanceof Promise) void outcome.then(carry);
    else carry(outcome);
  }

  onFrame(frame: Frame, bytes: Buffer, context: StageContext): StageResult {
    if (this.sessionView.id !== context.session) this.sessionView = Object.freeze({ id: context.session });
    // The session model's IdleTracker annotated the frame before the executor handed it on.
    const phases = frame.annotations;
    const hooks = this.runner.script.hooks;
    const onIdlePhase = hooks.onIdlePhase && phases.some(isIdlePhase) ? hooks.onIdlePhase : undefined;
    const onFrame = hooks.onFrame;
    if (!onFrame && !onIdlePhase) return FORWARD;
    let view: ScriptFrameView | undefined;
    const viewOf = (): ScriptFrameView => (view ??= frameView(frame, bytes, context.inIdle, { revealSecrets: this.runner.options.revealSecrets }));
    const ctx: ScriptContextView = Object.freeze({ session: this.sessionView, inIdle: context.inIdle, sessionData: this.sessionData });
    const outcomes: (HookOutcome | Promise<HookOutcome>)[] = [];
    const waitingFor: HookName[] = [];
    const add = (hook: HookName, outcome: HookOutcome | Promise<HookOutcome>): void => {
      outcomes.push(outcome);
      if (outcome instanceof Promise) waitingFor.push(hook);
    };
    if (onIdlePhase) for (const phase of idlePhaseViews(phases, viewOf)) add('onIdlePhase', this.call('onIdlePhase', () => onIdlePhase(phase as never, ctx as never)));
    if (onFrame) add('onFrame', this.call('onFrame', () => onFrame(viewOf() as never, ctx as never)));
    if (waitingFor.length === 0) return this.decide(frame, outcomes as HookOutcome[]);
    const decided = Promise.all(outcomes).then((all) => this.decide(frame, all));
    const until = decided.then((result): FrameVerdict => {
      const commands = result.commands ?? [];
      // After the verdict: the executor acts on it first, as for a hook that returned at once.
      if (commands.length > 0) setImmediate(() => this.emit?.(commands));
      return result.verdict;
    });
    return {
      verdict: { kind: 'hold', until, source: this.source(waitingFor[0]), detail: `waiting for the promise of ${[...new Set(waitingFor)].join(' and ')} (at most ${this.runner.hookTimeoutMs} ms)` },
    };
  }

  /** Call a hook; a promise it returns is awaited (bounded by the timeout), never rejected. */
  private call(hook: HookName, run: () => unknown): HookOutcome | Promise<HookOutcome> {
    let value: unknown;
    try {
      value = run();
    } catch (error) {
      return { hook, error };
    }
    let then: unknown;
    try {
      then = typeof value === 'object' || typeof value === 'function' ? (value as { then?: unknown } | null)?.then : undefined;
    } catch (error) {
      return { hook, error };
    }
    if (typeof then !== 'function') return { hook, value };
    const ms = this.runner.hookTimeoutMs;
    return new Promise<HookOutcome>((resolve) => {
      const timer = setTimeout(() => resolve({ hook, error: new HookTimeout(ms) }), ms);
      timer.unref();
      Promise.resolve(value).then(
        (settled) => { clearTimeout(timer); resolve({ hook, value: settled }); },
        (error: unknown) => { clearTimeout(timer); resolve({ hook, error }); },
      );
    });
  }

  /** The verdict and commands of a frame's hook outcomes, in hook order. */
  private decide(frame: Frame, outcomes: HookOutcome[]): StageResult {
    const toward: Direction = frame.direction === 'client' ? 'server' : 'client';
    let verdict: FrameVerdict | undefined;
    let verdictHook: HookName | undefined;
    const commands: SessionCommand[] = [];
    const problem = (hook: HookName, text: string): void => {
      const report = this.report(hook, toward, frame.seq, text);
      if (report) commands.push(report);
    };
    for (const outcome of outcomes) {
      const actions = this.actionsOf(outcome, problem);
      if (!actions) continue;
      const source = this.source(outcome.hook);
      const fates = actions.filter((a) => FRAME_ACTIONS.includes(a.kind));
      const fate = frameVerdict(fates, source, toward);
      if (typeof fate === 'string') {
        problem(outcome.hook, `returned ${fate}; frame forwarded unchanged`);
        continue;
      }
      if (fate && verdict) problem(outcome.hook, `returned ${fates[0].kind}, but ${verdictHook} already decided this frame (${verdict.kind}): ignored`);
      else if (fate) {
        verdict = fate;
        verdictHook = outcome.hook;
      }
      commands.push(...actions.flatMap((a) => sessionCommand(a, source)));
    }
    if (!verdict && commands.length === 0) return FORWARD;
    return { verdict: verdict ?? { kind: 'forward' }, commands };
  }

  /** Session commands of a session hook's outcome (frame actions are an error there). */
  private sessionCommands(outcome: HookOutcome): SessionCommand[] {
    const commands: SessionCommand[] = [];
    const problem = (hook: HookName, text: string): void => {
      const report = this.report(hook, 'client', undefined, text);
      if (report) commands.push(report);
    };
    const actions = this.actionsOf(outcome, problem);
    if (!actions) return commands;
    const fate = actions.find((a) => FRAME_ACTIONS.includes(a.kind));
    if (fate) {
      problem(outcome.hook, `returned '${fate.kind}', which needs a frame (${outcome.hook} may return inject, blackhole, reset, close)`);
      return commands;
    }
    const source = this.source(outcome.hook);
    return [...commands, ...actions.flatMap((a) => sessionCommand(a, source))];
  }

  /** The checked actions of an outcome, or undefined after reporting why there are none. */
  private actionsOf(outcome: HookOutcome, problem: (hook: HookName, text: string) => void): ScriptAction[] | undefined {
    if ('error' in outcome) {
      problem(outcome.hook, `${failure(outcome, this.runner.script.path)}; frame forwarded unchanged`);
      return undefined;
    }
    let check;
    try {
      check = checkHookResult(outcome.value);
    } catch (error) {
      // A getter or proxy in the returned value threw while it was read.
      problem(outcome.hook, `returned a value that throws when read (${errorText(error, this.runner.script.path)})`);
      return undefined;
    }
    if (!check.ok) {
      problem(outcome.hook, `${check.reason}; frame forwarded unchanged`);
      return undefined;
    }
    return check.actions;
  }

  private report(hook: HookName, toward: Direction, frameSeq: number | undefined, text: string): SessionCommand | undefined {
    const taken = this.runner.limiter.take();
    if (!taken.report) return undefined;
    const more = taken.suppressed > 0 ? ` (${taken.suppressed} more hook error${taken.suppressed > 1 ? 's' : ''} not reported)` : '';
    return { kind: 'report', action: 'hook-error', toward, ...(frameSeq !== undefined ? { frameSeq } : {}), source: this.source(hook), detail: bounded(`${hook} ${text}${more}`, 300) };
  }

  private source(hook: HookName): ChangeSource {
    return { kind: 'script', file: this.runner.script.label, hook };
  }
}

/** A hook promise that did not settle in time. */
class HookTimeout extends Error {
  constructor(readonly ms: number) {
    super(`did not settle within ${ms} ms`);
  }
}

/** A frame's verdict from one hook's frame actions (slice and throttle combine), or why they conflict. */
function frameVerdict(fates: ScriptAction[], source: ChangeSource, toward: Direction): FrameVerdict | undefined | string {
  if (fates.length === 0) return undefined;
  const kinds = fates.map((a) => a.kind);
  const paceOnly = fates.every((a) => a.kind === 'slice' || a.kind === 'throttle') && new Set(kinds).size === kinds.length;
  if (fates.length > 1 && !paceOnly) return `more than one frame action (${kinds.join(', ')})`;
  if (paceOnly) {
    let sliceBytes: number | undefined;
    let bytesPerSecond: number | undefined;
    for (const a of fates) {
      if (a.kind === 'slice') sliceBytes = a.bytes;
      if (a.kind === 'throttle') bytesPerSecond = a.bytesPerSecond;
    }
    const detail = [sliceBytes !== undefined ? `slice ${sliceBytes} bytes` : '', bytesPerSecond !== undefined ? `throttle ${bytesPerSecond} B/s` : ''].filter(Boolean).join(', ');
    return { kind: 'pace', ...(sliceBytes !== undefined ? { sliceBytes } : {}), ...(bytesPerSecond !== undefined ? { bytesPerSecond } : {}), source, detail };
  }
  const a = fates[0];
  switch (a.kind) {
    case 'drop': return { kind: 'drop', source, detail: 'drop' };
    case 'delay': return { kind: 'delay', ms: a.ms, source, detail: `delay ${a.ms} ms` };
    case 'replace': return { kind: 'replace', bytes: a.bytes, source, action: 'replace', detail: `replace with ${bytesDetail(a.bytes, toward)}` };
    default: return `an unexpected frame action (${a.kind})`;
  }
}

function sessionCommand(a: ScriptAction, source: ChangeSource): SessionCommand[] {
  switch (a.kind) {
    case 'inject': return [{ kind: 'inject', toward: a.toward, bytes: a.bytes, source, detail: `inject to ${a.toward}: ${bytesDetail(a.bytes, a.toward)}` }];
    case 'blackhole': return [{ kind: 'blackhole', source, detail: 'blackhole' }];
    case 'reset': return [{ kind: 'reset', side: a.side, source, detail: `reset ${a.side}` }];
    case 'close': return [{ kind: 'close', side: a.side, source, detail: `close ${a.side}` }];
    default: return [];
  }
}

/** Bytes a script made, for a detail line: bounded, escaped, and masked as client commands when sent to the server. */
function bytesDetail(bytes: Buffer, toward: Direction): string {
  const shown = toward === 'server' ? maskClientBytes(bytes.subarray(0, 4096)) : bytes.subarray(0, 4096);
  return `${bytes.length} bytes "${bounded(shown.toString('latin1'), 80)}"`;
}

function failure(outcome: HookOutcome, scriptPath: string): string {
  if (!('error' in outcome)) return 'failed';
  if (outcome.error instanceof HookTimeout) return `returned a promise that ${outcome.error.message}`;
  return `threw ${errorText(outcome.error, scriptPath)}`;
}

/** An error as `Name: message (file.js:LINE)`, one line, bounded; safe with hostile error objects. */
function errorText(error: unknown, scriptPath: string): string {
  try {
    if (!(error instanceof Error)) return shortValue(error);
    const where = scriptLine(String(error.stack ?? ''), scriptPath);
    return `${String(error.name)}: ${String(error.message)}${where}`;
  } catch {
    return 'an error that cannot be shown';
  }
}

/** ` (file.js:LINE)` for the first stack frame in the script itself. */
function scriptLine(stack: string, scriptPath: string): string {
  const base = scriptPath.split(/[\\/]/).pop() ?? scriptPath;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(scriptPath);
    if (at < 0) continue;
    const m = /^:(\d+)/.exec(line.slice(at + scriptPath.length));
    if (m) return ` (${base}:${m[1]})`;
  }
  return '';
}

function bounded(text: string, max: number): string {
  const line = oneLineText(text);
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
