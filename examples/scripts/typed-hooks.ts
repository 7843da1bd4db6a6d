// A script in TypeScript: compile it to JavaScript (imapdbg loads .js, .mjs and .cjs), e.g.
//   npx tsc --module commonjs --target es2022 --strict examples/scripts/typed-hooks.ts
// Hides the server's `* OK [ALERT]`s, answers the client's NOOPs late, and says goodbye politely.
import type { Action, HookContext, ScriptFrame, ScriptHooks } from '../../types/imapdbg-script';

const hooks: ScriptHooks = {
  onSessionOpen: (session) => ({ action: 'inject', to: 'client', text: `* OK imapdbg script watching session ${session.id}` }),
  onFrame: (frame: ScriptFrame, ctx: HookContext): Action | Action[] | undefined => {
    if (frame.direction === 'server' && frame.kind === 'untagged' && frame.text.includes('[ALERT]')) return { action: 'drop' };
    if (frame.direction === 'client' && frame.verb === 'NOOP') {
      ctx.sessionData.noops = Number(ctx.sessionData.noops ?? 0) + 1;
      return [{ action: 'delay', ms: 250 }, { action: 'inject', to: 'client', parts: ['* 1 FETCH (BODY[] {}', { literal: 'hello' }, ')'] }];
    }
    return undefined;
  },
  onIdlePhase: async (phase) => (phase.name === 'ended' ? [] : undefined),
};

export const { onSessionOpen, onFrame, onIdlePhase } = hooks;
