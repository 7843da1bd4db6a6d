import { Option, type Command } from 'commander';
import { DEFAULT_IDLE_THRESHOLDS, parseDuration, type IdleThresholds } from '../imap/idle-thresholds';
import { UsageError } from './usage-error';

/** The threshold options as commander hands them over (µs, parsed). */
export interface IdleThresholdOptions {
  idleSilent: number;
  doneTimeout: number;
  pushGap: number;
  idleChurn: number;
  pushTimeout: number;
}

function duration(name: string): (value: string) => number {
  return (value: string) => {
    const us = parseDuration(value);
    if (us === undefined) throw new UsageError(`${name} must be a duration such as 500ms, 30s or 10m (got "${value}")`);
    return us;
  };
}

/** The IDLE and push thresholds, shared by `lint`, `stats` and `proxy`. */
export function addIdleThresholdOptions(cmd: Command): Command {
  const d = DEFAULT_IDLE_THRESHOLDS;
  const opt = (flags: string, what: string, def: number, shown: string): void => {
    cmd.addOption(new Option(flags, what).argParser(duration(flags.split(' ')[0])).default(def, shown));
  };
  opt('--idle-silent <duration>', 'flag an IDLE silent both ways for longer (NAT/firewall risk)', d.silentUs, '10m');
  opt('--done-timeout <duration>', 'flag DONE without tagged response for longer', d.doneTimeoutUs, '30s');
  opt('--push-gap <duration>', 'flag a client neither idling nor polling for longer after an IDLE', d.pushGapUs, '60s');
  opt('--idle-churn <duration>', 'IDLEs ended sooner than this with no update, 5 in a row, are churn', d.churnUs, '30s');
  opt('--push-timeout <duration>', 'flag a change no session idling on its mailbox hears about within', d.pushTimeoutUs, '60s');
  return cmd;
}

export function idleThresholds(o: IdleThresholdOptions): IdleThresholds {
  return { ...DEFAULT_IDLE_THRESHOLDS, silentUs: o.idleSilent, doneTimeoutUs: o.doneTimeout, pushGapUs: o.pushGap, churnUs: o.idleChurn, pushTimeoutUs: o.pushTimeout };
}
