import type { Flow, FlowNode } from './flow.js';

/**
 * The IVR as a step function, the same for every adapter: given the flow,
 * where the call is, and what the caller just did (digits, or nothing before
 * the timeout), it returns what to do next — prompts to play, then either a
 * gather (wait for keys) or an end (enqueue, transfer, voicemail, hang up) —
 * and the new state. The SIP adapter runs the instructions with rtpengine;
 * the Twilio adapter turns them into TwiML, one webhook at a time; the
 * simulator feeds scripted keys. Every choice is kept in `path`.
 */

export type Vars = Record<string, string | boolean>;
export type IvrState = { node: string; vars: Vars; attempts: number; awaiting: boolean; path: string[]; steps: number };
export type EnqueueNode = Extract<FlowNode, { type: 'enqueue' }>;
export type Instruction =
  | { kind: 'play'; prompt: string }
  | { kind: 'gather'; prompt: string; minDigits: number; maxDigits: number; terminator: string | undefined; timeoutMs: number }
  | { kind: 'enqueue'; node: EnqueueNode; attributes: Vars; priority: number }
  | { kind: 'transfer'; to: string }
  | { kind: 'voicemail'; prompt: string; maxSeconds: number }
  | { kind: 'hangup'; reason: string };
export type Input = { digits: string } | { timeout: true } | null;
export type Validators = { agencyOri: (digits: string) => Promise<string | null> };
export type Env = { now: Date; validators: Validators };

/** Bounds a flow that loops on itself (a misconfiguration) — the call ends instead of spinning. */
const MAX_STEPS = 200;

export const initialState = (flow: Flow): IvrState => ({ node: flow.start, vars: {}, attempts: 0, awaiting: false, path: [], steps: 0 });

/** Whether the flow's hours hold at this moment, in the flow's time zone. */
export function isOpen(hours: Flow['hours'], now: Date): boolean {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  if (hours.holidays.includes(date)) return false;
  if (hours.weekly === 'always') return true;
  const day = String(parts.weekday).slice(0, 3).toLowerCase();
  const hhmm = `${parts.hour}:${parts.minute}`;
  return hours.weekly.some((w) => (w.days as string[]).includes(day) && hhmm >= w.from && hhmm < w.to);
}

export async function advance(
  flow: Flow,
  from: IvrState,
  input: Input,
  env: Env,
): Promise<{ state: IvrState; instructions: Instruction[] }> {
  const state: IvrState = { ...from, vars: { ...from.vars }, path: [...from.path] };
  const out: Instruction[] = [];
  const go = (next: string) => {
    state.node = next;
    state.attempts = 0;
    state.awaiting = false;
  };
  // First, the answer to the gather we were waiting on.
  if (state.awaiting) {
    const node = flow.nodes[state.node];
    if (!node || (node.type !== 'menu' && node.type !== 'collect')) return { state, instructions: [{ kind: 'hangup', reason: 'failed' }] };
    const digits = input && 'digits' in input ? input.digits : '';
    let accepted = false;
    if (node.type === 'menu') {
      const option = digits ? node.options[digits.slice(0, 1)] : undefined;
      if (option) {
        Object.assign(state.vars, option.set ?? {});
        state.path.push(`${state.node}=${digits.slice(0, 1)}`);
        go(option.next);
        accepted = true;
      }
    } else {
      const entered = digits.replace(/[#*]$/, '');
      if (entered.length >= node.minDigits && entered.length <= node.maxDigits) {
        const value = node.validate === 'agency_ori' ? await env.validators.agencyOri(entered) : entered;
        if (value) {
          state.vars[node.store] = value;
          state.path.push(`${state.node}=ok`);
          go(node.next);
          accepted = true;
        }
      }
    }
    if (!accepted) {
      state.attempts += 1;
      state.path.push(`${state.node}=${digits ? 'invalid' : 'timeout'}`);
      if (state.attempts > node.retries) {
        go(node.onFailure);
      } else {
        // Ask again: the same node, its attempt count kept, after saying what went wrong.
        state.awaiting = false;
        out.push({ kind: 'play', prompt: digits || node.type === 'collect' ? node.invalidPrompt : node.timeoutPrompt });
      }
    }
  }
  for (;;) {
    state.steps += 1;
    if (state.steps > MAX_STEPS) return { state, instructions: [...out, { kind: 'hangup', reason: 'failed' }] };
    const node = flow.nodes[state.node];
    if (!node) return { state, instructions: [...out, { kind: 'hangup', reason: 'failed' }] };
    switch (node.type) {
      case 'play':
        Object.assign(state.vars, node.set ?? {});
        out.push({ kind: 'play', prompt: node.prompt });
        go(node.next);
        continue;
      case 'set':
        Object.assign(state.vars, node.set);
        go(node.next);
        continue;
      case 'hours': {
        const open = isOpen(flow.hours, env.now);
        state.path.push(`hours=${open ? 'open' : 'closed'}`);
        go(open ? node.open : node.closed);
        continue;
      }
      case 'menu':
        state.awaiting = true;
        out.push({ kind: 'gather', prompt: node.prompt, minDigits: 1, maxDigits: 1, terminator: undefined, timeoutMs: node.timeoutMs });
        return { state, instructions: out };
      case 'collect':
        state.awaiting = true;
        out.push({
          kind: 'gather',
          prompt: node.prompt,
          minDigits: node.minDigits,
          maxDigits: node.maxDigits + (node.terminator ? 1 : 0),
          terminator: node.terminator,
          timeoutMs: node.timeoutMs,
        });
        return { state, instructions: out };
      case 'enqueue':
        return {
          state,
          instructions: [
            ...out,
            { kind: 'enqueue', node, attributes: { ...state.vars, ...(node.attributes ?? {}) }, priority: node.priority },
          ],
        };
      case 'transfer':
        if (node.prompt) out.push({ kind: 'play', prompt: node.prompt });
        return { state, instructions: [...out, { kind: 'transfer', to: node.to }] };
      case 'voicemail':
        return { state, instructions: [...out, { kind: 'voicemail', prompt: node.prompt, maxSeconds: node.maxSeconds }] };
      case 'hangup':
        if (node.prompt) out.push({ kind: 'play', prompt: node.prompt });
        return { state, instructions: [...out, { kind: 'hangup', reason: node.reason }] };
    }
  }
}

/** Letters as on a phone keypad: an ORI typed on a phone (TX0312100 → 890312100). */
export function keypadDigits(text: string): string {
  const keys: Record<string, string> = {};
  for (const [digit, letters] of Object.entries({ 2: 'ABC', 3: 'DEF', 4: 'GHI', 5: 'JKL', 6: 'MNO', 7: 'PQRS', 8: 'TUV', 9: 'WXYZ' }))
    for (const l of letters) keys[l] = digit;
  return [...text.toUpperCase()].map((c) => keys[c] ?? c).join('');
}
