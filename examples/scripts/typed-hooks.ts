// A script in TypeScript: compile it to JavaScript (imapdbg loads .js, .mjs and .cjs), e.g.
//   npx tsc --module commonjs --target es2022 --strict examples/scripts/typed-hooks.ts
// Greets the client on imapdbg's behalf, hides the server's `* OK [ALERT]`s, answers NOOPs late
// with a made-up FETCH, and counts NOOPs per session.
import type { Action, HookContext, ScriptFrame, ScriptHooks } from '../../types/imapdbg-script';

const noopsBySession = new Map<number, number>();

const hooks: ScriptHooks = {
  onFrame: (frame: ScriptFrame, ctx: HookContext): Action | Action[] | undefined => {
    // After the greeting, not at session open: a client takes the first line it reads as the greeting.
    if (frame.kind === 'greeting') return { action: 'inject', to: 'client', text: `* OK imapdbg script watching session ${ctx.session.id}` };
    if (frame.direction === 'server' && frame.kind === 'untagged' && frame.text.includes('[ALERT]')) return { action: 'drop' };
    if (frame.direction === 'client' && frame.verb === 'NOOP') {
      noopsBySession.set(ctx.session.id, (noopsBySession.get(ctx.session.id) ?? 0) + 1);
      return [{ action: 'delay', ms: 250 }, { action: 'inject', to: 'client', parts: ['* 1 FETCH (BODY[] {}', { literal: 'hello' }, ')'] }];
    }
    return undefined;
  },
  onIdlePhase: async (phase) => (phase.name === 'ended' && phase.detail.updates === 0 ? [] : undefined),
  onSessionClose: (session) => { noopsBySession.delete(session.id); },
};

export const { onFrame, onIdlePhase, onSessionClose } = hooks;
