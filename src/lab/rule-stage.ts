import { boundedCopy } from '../imap/bounded-string';
import { predicateOf, type FilterSubject, type FramePredicate } from '../imap/filter/filter-eval';
import type { Frame } from '../imap/frame';
import { isIdlePhase } from '../imap/idle-tracker';
import type { ChangeSource } from '../imap/intervention';
import { oneLineText } from '../imap/terminal-text';
import { carriesCapabilities, hideCapabilities } from './capability-hiding';
import type { FrameStage, FrameVerdict, SessionCommand, StageContext, StageResult } from './frame-stage';
import { replaceInFrame, type TextEdit } from './frame-rewrite';
import type { Rule, RuleAction } from './rule';

/** Longest `detail` a rule writes (one line, escaped, then cut). */
export const RULE_DETAIL_MAX = 200;

type FrameAction = Exclude<RuleAction, { kind: 'inject' | 'blackhole' | 'reset' | 'close' }>;
type SessionAction = Extract<RuleAction, { kind: 'inject' | 'blackhole' | 'reset' | 'close' }>;

interface FrameRule {
  rule: Rule;
  source: ChangeSource;
  matches: FramePredicate;
  /** Frames the filter selected so far (for `every N`). */
  seen: number;
}

interface TimedRule {
  rule: Rule;
  source: ChangeSource;
  action: SessionAction;
  ms: number;
}

const FORWARD: StageResult = { verdict: { kind: 'forward' } };

/**
 * The rules of one session as a FrameStage (create one per session: it counts `every N` and owns
 * the session's timers).
 *
 * For each frame, rules are tried in the order given; a rule acts when its filter selects the frame
 * (hide-capability: only server frames carrying a capability list) and its `every N` count comes
 * round. `every N` counts every frame the filter selects, whether or not another rule decided that
 * frame's fate. What happens to the frame:
 * 1. blackhole, reset, close: the first such rule wins; the frame is not delivered (`drop`), the
 *    injections of rules that also act on it are sent, then the command. The stage then stops: no
 *    more verdicts, commands or timers for this session.
 * 2. Otherwise the first rule (in order) that acts on the frame's bytes or fate decides:
 *    - rewrites compose: every acting `replace` (in rule order, one after the other on each line and
 *      literal body, literal counts fixed up), then every acting hide-capability (the union of the
 *      names); a rewrite that changes nothing does not count as acting;
 *    - `drop` or `delay`: that rule alone;
 *    - `slice` and `throttle` merge into one `pace` (the first rule sets what it names, later
 *      ones fill in what is left).
 *    Other acting rules of another kind do nothing to that frame.
 * 3. Every acting `inject` adds a command after the frame, in rule order.
 * Time triggers: `after T in IDLE` fires once per IDLE period, T after the frame annotated
 * `idle-accepted` (the server's `+`), unless the IDLE has ended by then (`idle-done`,
 * `idle-ended`, `idle-rejected` cancel it); `after T` fires once, T after onSessionOpen. Both
 * emit through the `emit` given to onSessionOpen and are cleared by onSessionClose.
 */
export class RuleStage implements FrameStage {
  private readonly frameRules: FrameRule[] = [];
  private readonly idleRules: TimedRule[] = [];
  private readonly openRules: TimedRule[] = [];
  private emit: ((commands: SessionCommand[]) => void) | undefined;
  private readonly openTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly idleTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Tag of the IDLE whose timers run (an old IDLE's late end must not cancel them). */
  private idleTag: string | undefined;
  /** A blackhole, reset or close went out: nothing more to do for this session. */
  private finished = false;

  constructor(rules: readonly Rule[]) {
    for (const rule of rules) {
      const source: ChangeSource = { kind: 'rule', index: rule.index, text: rule.text };
      const t = rule.trigger;
      if (t.kind === 'after-in-idle' || t.kind === 'after-open') {
        if (!isSessionAction(rule.action)) continue; // the parser refuses these; a hand-made Rule is ignored
        (t.kind === 'after-in-idle' ? this.idleRules : this.openRules).push({ rule, source, action: rule.action, ms: t.ms });
      } else {
        this.frameRules.push({ rule, source, matches: predicateOf(rule.match), seen: 0 });
      }
    }
  }

  onSessionOpen(_session: number, emit: (commands: SessionCommand[]) => void): void {
    this.emit = emit;
    for (const timed of this.openRules) this.startTimer(this.openTimers, timed);
  }

  onSessionClose(): void {
    this.finish();
    this.emit = undefined;
  }

  onFrame(frame: Frame, bytes: Buffer, context: StageContext): StageResult {
    if (this.finished) return FORWARD;
    this.watchIdle(frame);
    const acts = this.actingRules(frame, context);
    if (acts.length === 0) return FORWARD;
    const injects = acts.flatMap((rule) => (rule.rule.action.kind === 'inject' ? [sessionCommand(rule.rule.action, rule.source)] : []));
    const ender = acts.find((rule) => isEnder(rule.rule.action));
    if (ender) {
      this.finish();
      const action = ender.rule.action as SessionAction;
      return {
        verdict: { kind: 'drop', source: ender.source, detail: `not delivered: ${action.kind} instead` },
        commands: [...injects, sessionCommand(action, ender.source)],
      };
    }
    const verdict = this.frameVerdict(frame, bytes, acts.filter((rule) => !isSessionAction(rule.rule.action)));
    return injects.length > 0 ? { verdict, commands: injects } : { verdict };
  }

  /** The rules that act on this frame, in rule order, with `every N` counted. */
  private actingRules(frame: Frame, context: StageContext): FrameRule[] {
    let text: string | undefined;
    const subject: FilterSubject = { frame, inIdle: context.inIdle, text: () => (text ??= context.text()) };
    const acts: FrameRule[] = [];
    for (const rule of this.frameRules) {
      if (rule.rule.action.kind === 'hide-capability' && !carriesCapabilities(frame)) continue;
      if (!rule.matches(subject)) continue;
      rule.seen += 1;
      const t = rule.rule.trigger;
      if (t.kind === 'every' && rule.seen % t.n !== 0) continue;
      acts.push(rule);
    }
    return acts;
  }

  private frameVerdict(frame: Frame, bytes: Buffer, acts: FrameRule[]): FrameVerdict {
    let rewriteTried = false;
    for (const act of acts) {
      const action = act.rule.action as FrameAction;
      switch (action.kind) {
        case 'replace':
        case 'hide-capability': {
          if (rewriteTried) continue;
          rewriteTried = true;
          const rewrite = rewriteVerdict(frame, bytes, acts);
          if (rewrite) return rewrite;
          continue; // nothing changed: the next rule of another kind decides
        }
        case 'drop':
          return { kind: 'drop', source: act.source, detail: 'dropped' };
        case 'delay':
          return { kind: 'delay', ms: action.ms, source: act.source, detail: `delayed ${action.ms} ms` };
        case 'slice':
        case 'throttle':
          return paceVerdict(acts, act);
        default: {
          const never: never = action;
          return never;
        }
      }
    }
    return { kind: 'forward' };
  }

  /** Follow the IDLE phases: start the `after T in IDLE` timers at the `+`, cancel them when the IDLE ends. */
  private watchIdle(frame: Frame): void {
    for (const a of frame.annotations) {
      if (!isIdlePhase(a)) continue;
      const tag = a.detail.tag;
      if (a.phase === 'idle-accepted') {
        this.clearTimers(this.idleTimers);
        this.idleTag = tag;
        for (const timed of this.idleRules) this.startTimer(this.idleTimers, timed);
      } else if ((a.phase === 'idle-done' || a.phase === 'idle-ended' || a.phase === 'idle-rejected') && tag === this.idleTag) {
        this.clearTimers(this.idleTimers);
        this.idleTag = undefined;
      }
    }
  }

  private startTimer(timers: Set<ReturnType<typeof setTimeout>>, timed: TimedRule): void {
    if (!this.emit || this.finished) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const emit = this.emit;
      if (!emit || this.finished) return;
      if (isEnder(timed.action)) this.finish();
      emit([sessionCommand(timed.action, timed.source)]);
    }, timed.ms);
    timers.add(timer);
  }

  private finish(): void {
    this.finished = true;
    this.clearTimers(this.openTimers);
    this.clearTimers(this.idleTimers);
  }

  private clearTimers(timers: Set<ReturnType<typeof setTimeout>>): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  }
}

/** A FrameStage for one session's rules. */
export function createRuleStage(rules: readonly Rule[]): FrameStage {
  return new RuleStage(rules);
}

/**
 * Every acting replace (one pass, in rule order), then every acting hide-capability; the source is
 * the first rule (in rule order) that changed something, `contributors` all of them.
 */
function rewriteVerdict(frame: Frame, bytes: Buffer, acts: FrameRule[]): FrameVerdict | undefined {
  const replaces = acts.filter((rule) => rule.rule.action.kind === 'replace');
  const hides = acts.filter((rule) => rule.rule.action.kind === 'hide-capability');
  const changedBy = new Set<FrameRule>();
  const notes: string[] = [];
  let current = bytes;
  if (replaces.length > 0) {
    const edits: TextEdit[] = replaces.map((rule) => {
      const a = rule.rule.action as Extract<RuleAction, { kind: 'replace' }>;
      return { pattern: a.pattern, replacement: a.replacement };
    });
    const result = replaceInFrame(frame, bytes, edits);
    if (result) {
      current = result.bytes;
      result.matches.forEach((n, k) => {
        if (n === 0) return;
        changedBy.add(replaces[k]);
        notes.push(`rule ${replaces[k].rule.index} replaced ${n} match${n === 1 ? '' : 'es'}`);
      });
      if (result.refused.length > 0) notes.push(`kept as sent: ${result.refused.join('; ')}`);
    }
  }
  if (hides.length > 0) {
    const names = new Set(hides.flatMap((rule) => (rule.rule.action.kind === 'hide-capability' ? rule.rule.action.names : [])));
    const hidden = hideCapabilities(frame, current, names);
    if (hidden) {
      current = hidden.bytes;
      const upper = new Set(hidden.hidden.map((n) => n.toUpperCase()));
      for (const rule of hides) {
        if (rule.rule.action.kind === 'hide-capability' && rule.rule.action.names.some((n) => upper.has(n))) changedBy.add(rule);
      }
      notes.push(`hid ${hidden.hidden.join(' ')}`);
    }
  }
  if (current === bytes || current.equals(bytes)) return undefined;
  const contributors = acts.filter((r) => changedBy.has(r));
  const first = contributors[0];
  return {
    kind: 'replace',
    bytes: current,
    source: first.source,
    action: first.rule.action.kind === 'hide-capability' ? 'hide-capability' : 'replace',
    detail: bounded(`${notes.join('; ')} (${bytes.length} -> ${current.length} bytes)`),
    contributors: contributors.map((r) => r.source),
  };
}

/** slice and throttle of the acting rules merged, `first` taking precedence. */
function paceVerdict(acts: FrameRule[], first: FrameRule): FrameVerdict {
  let sliceBytes: number | undefined;
  let bytesPerSecond: number | undefined;
  for (const rule of [first, ...acts]) {
    const a = rule.rule.action;
    if (a.kind === 'slice') sliceBytes ??= a.bytes;
    if (a.kind === 'throttle') bytesPerSecond ??= a.bytesPerSecond;
  }
  const parts = [
    ...(sliceBytes !== undefined ? [`in pieces of ${sliceBytes} bytes`] : []),
    ...(bytesPerSecond !== undefined ? [`at ${bytesPerSecond} bytes/s`] : []),
  ];
  return {
    kind: 'pace',
    ...(sliceBytes !== undefined ? { sliceBytes } : {}),
    ...(bytesPerSecond !== undefined ? { bytesPerSecond } : {}),
    source: first.source,
    detail: `delivered ${parts.join(' ')}`,
  };
}

function isSessionAction(action: RuleAction): action is SessionAction {
  return action.kind === 'inject' || action.kind === 'blackhole' || action.kind === 'reset' || action.kind === 'close';
}

function isEnder(action: RuleAction): boolean {
  return action.kind === 'blackhole' || action.kind === 'reset' || action.kind === 'close';
}

function sessionCommand(action: SessionAction, source: ChangeSource): SessionCommand {
  const detail = bounded(describeSessionAction(action));
  switch (action.kind) {
    case 'inject': return { kind: 'inject', toward: action.toward, bytes: action.bytes, source, detail };
    case 'blackhole': return { kind: 'blackhole', source, detail };
    case 'reset': return { kind: 'reset', side: action.side, source, detail };
    case 'close': return { kind: 'close', side: action.side, source, detail };
    default: {
      const never: never = action;
      return never;
    }
  }
}

function describeSessionAction(action: SessionAction): string {
  switch (action.kind) {
    case 'inject': return `inject ${action.bytes.length} bytes to the ${action.toward}: ${action.bytes.toString('utf8')}`;
    case 'blackhole': return 'blackhole: nothing delivered either way, both connections kept open';
    case 'reset': return `reset ${action.side === 'both' ? 'both connections' : `the ${action.side} connection`}`;
    case 'close': return `close ${action.side === 'both' ? 'both connections' : `the ${action.side} connection`}`;
    default: {
      const never: never = action;
      return never;
    }
  }
}

/** One line, nothing a terminal interprets, at most RULE_DETAIL_MAX characters. */
function bounded(text: string): string {
  return boundedCopy(oneLineText(text), RULE_DETAIL_MAX);
}
