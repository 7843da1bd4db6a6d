import type { HeldFrame } from '../../lab/intercept-stage';
import type { EditOutcome } from '../../lab/intercept-edit-format';
import type { TuiModel } from './tui-model';

/** Keys that act on the held frame under the cursor, as the help screen and hints name them. */
export const HELD_KEYS = { forward: 'r', drop: 'd', edit: 'e', next: 'H' } as const;

/** What a key on a held frame asks of the terminal layer: run the editor on this frame. */
export interface EditRequest {
  kind: 'edit';
  held: HeldFrame;
}

/** The held frame under the frames list's cursor, if any. */
export function heldAtCursor(model: TuiModel): HeldFrame | undefined {
  const intercept = model.options.intercept;
  const index = model.frames?.selected;
  if (!intercept || index === undefined || model.screen !== 'frames') return undefined;
  const frame = model.store.frame(index);
  return intercept.find(frame.session, frame.seq);
}

/** `i`: open the intercept filter prompt (live only). */
export function openInterceptPrompt(model: TuiModel): void {
  const intercept = model.options.intercept;
  if (!intercept) {
    model.say('intercept works while proxying (imapdbg proxy), not on a capture', true);
    return;
  }
  model.prompt = { kind: 'intercept', text: intercept.filterSource ?? '' };
}

/** Enter in the intercept prompt: set the filter; empty turns intercept off and forwards every held frame. */
export function setInterceptFilter(model: TuiModel, text: string): void {
  const intercept = model.options.intercept;
  if (!intercept) return;
  const result = intercept.setFilter(text);
  if (!result.ok) {
    model.say(`intercept filter error at column ${result.column}: ${result.message}`, true);
    return;
  }
  if (result.source === undefined) model.say(`intercept off${result.released ? `: ${result.released} held frames forwarded` : ''}`);
  else model.say(`intercept ${result.source}: matching frames are held (${HELD_KEYS.forward} forward, ${HELD_KEYS.drop} drop, ${HELD_KEYS.edit} edit)`);
}

/**
 * Keys for held frames on the frames screen; returns an edit request for the terminal layer, true
 * when the key was handled otherwise, false when it is not an intercept key.
 */
export function heldFrameKey(model: TuiModel, key: string): EditRequest | boolean {
  if (key === HELD_KEYS.next) {
    nextHeld(model);
    return true;
  }
  if (key !== HELD_KEYS.forward && key !== HELD_KEYS.drop && key !== HELD_KEYS.edit) return false;
  const intercept = model.options.intercept;
  if (!intercept || model.screen !== 'frames') return false;
  const held = heldAtCursor(model);
  if (!held) {
    model.say(intercept.count ? `this frame is not held (${HELD_KEYS.next} goes to the next held frame)` : 'no frame is held (i sets an intercept filter)', true);
    return true;
  }
  const what = `frame ${held.seq} of session #${held.session}`;
  if (key === HELD_KEYS.forward) {
    if (intercept.forward(held.id)) model.say(`${what} forwarded`);
    return true;
  }
  if (key === HELD_KEYS.drop) {
    if (intercept.drop(held.id)) model.say(`${what} dropped`);
    return true;
  }
  if (held.frame.secrets.length > 0 && !model.options.revealSecrets) {
    model.say(`${what} carries a secret (LOGIN, AUTHENTICATE): editing would show it; run with --reveal-secrets to edit it`, true);
    return true;
  }
  return { kind: 'edit', held };
}

/** The editor is done: send the edited bytes, or say why the frame stays held. */
export function applyEdit(model: TuiModel, held: HeldFrame, outcome: EditOutcome): void {
  const intercept = model.options.intercept;
  const what = `frame ${held.seq} of session #${held.session}`;
  switch (outcome.kind) {
    case 'cancel': model.say(`edit cancelled (an empty file, or the editor failed): ${what} is still held`); return;
    case 'unchanged': model.say(`not changed: ${what} is still held (${HELD_KEYS.forward} forwards it as it is)`); return;
    case 'error': model.say(`edit not sent: ${outcome.message}; ${what} is still held`, true); return;
    case 'bytes':
      if (intercept?.edit(held.id, outcome.bytes)) model.say(`${what} sent as edited (${outcome.bytes.length} bytes)`);
      else model.say(`${what} is no longer held (its session closed): the edit was not sent`, true);
      return;
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** `H`: the next held frame after the cursor (wrapping), in the frames of all sessions if need be. */
function nextHeld(model: TuiModel): void {
  const intercept = model.options.intercept;
  const indices = (intercept?.list() ?? [])
    .map((h) => model.store.findSeq(h.session, h.seq))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
  if (indices.length === 0) {
    model.say('no frame is held', true);
    return;
  }
  const current = model.screen === 'frames' ? model.frames?.selected ?? -1 : -1;
  const target = indices.find((i) => i > current) ?? indices[0];
  const session = model.store.frame(target).session;
  if (model.screen !== 'frames' || !model.frames || (model.frames.session !== undefined && model.frames.session !== session)) {
    model.openFrames(undefined);
  }
  const view = model.frames;
  if (!view) return;
  view.following = false;
  if (!view.select(target)) {
    model.say(`the held frame is hidden by the filter ${model.filter?.source ?? ''}`, true);
    return;
  }
  if (model.detail) model.openDetail();
  model.say(`held frame ${indices.indexOf(target) + 1} of ${indices.length}: ${HELD_KEYS.forward} forward, ${HELD_KEYS.drop} drop, ${HELD_KEYS.edit} edit`);
}
