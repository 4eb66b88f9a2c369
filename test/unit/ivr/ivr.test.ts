import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFlow, type Flow, FlowError } from '../../../src/domain/ivr/flow.js';
import {
  advance,
  type Env,
  type Input,
  type Instruction,
  type IvrState,
  initialState,
  isOpen,
  keypadDigits,
} from '../../../src/domain/ivr/machine.js';
import { loadFlows } from '../../../src/telephony/ivr-flows.js';

const { flows, prompts } = loadFlows(path.resolve('reference/ivr'));
const env = (agencies: string[] = ['TX0312100']): Env => ({
  now: new Date('2026-11-29T15:00:00Z'),
  validators: { agencyOri: async (digits) => agencies.find((a) => keypadDigits(a) === digits) ?? null },
});

/** Runs a flow with the keys given (null = no key before the timeout) until it ends. */
async function dial(line: string, keys: (string | null)[], e = env()) {
  const flow = flows.get(line) as Flow;
  let state: IvrState = initialState(flow);
  let step = await advance(flow, state, null, e);
  const played: string[] = [];
  const queue = [...keys];
  for (;;) {
    played.push(...step.instructions.filter((i) => i.kind === 'play' || i.kind === 'gather').map((i) => (i as { prompt: string }).prompt));
    const last = step.instructions.at(-1) as Instruction;
    state = step.state;
    if (last.kind !== 'gather') return { end: last, state, played };
    if (queue.length === 0) throw new Error(`the flow still waits at ${state.node}`);
    const key = queue.shift();
    const input: Input = key === null || key === undefined ? { timeout: true } : { digits: key };
    step = await advance(flow, state, input, e);
  }
}

describe('IVR flows as data', () => {
  it('loads the three default lines', () => {
    expect([...flows.keys()].sort()).toEqual(['+16155550100', '+16155550101', '+16155550102']);
  });

  it('public line: 2 then 2 — Spanish, about a child, to the UAC unit, with the path kept', async () => {
    const r = await dial('+16155550100', ['2', '2']);
    expect(r.end).toMatchObject({ kind: 'enqueue', attributes: { language: 'es', reason: 'uac', topic: 'uac' }, priority: 5 });
    expect(r.state.path).toEqual(['hours=open', 'language=2', 'reason=2']);
    expect(r.played).toEqual(['language-menu', 'recording-notice', 'reason-menu']);
  });

  it('public line: 3 tags for an interpreter; 3 at the reason goes to the partner line; 9 says dial 911 and ends', async () => {
    expect((await dial('+16155550100', ['3', '1'])).end).toMatchObject({
      kind: 'enqueue',
      attributes: { interpreter: true, reason: 'report' },
    });
    expect((await dial('+16155550100', ['1', '3'])).end).toMatchObject({ kind: 'enqueue', attributes: { caller: 'partner' } });
    const emergency = await dial('+16155550100', ['1', '9']);
    expect(emergency.end).toEqual({ kind: 'hangup', reason: 'emergency_guidance' });
    expect(emergency.played.at(-1)).toBe('emergency');
  });

  it('a wrong key is told, and asked again; after the retries the menu falls through', async () => {
    const r = await dial('+16155550100', ['7', null, '2', '1']);
    expect(r.played.slice(0, 5)).toEqual(['language-menu', 'invalid', 'language-menu', 'no-input', 'language-menu']);
    expect(r.state.path.slice(0, 4)).toEqual(['hours=open', 'language=invalid', 'language=timeout', 'language=2']);
    const gaveUp = await dial('+16155550100', ['7', '7', '7', '1']);
    expect(gaveUp.state.path).toContain('language=invalid');
    expect(gaveUp.end).toMatchObject({ kind: 'enqueue', attributes: { reason: 'report' } });
  });

  it('partner line: the ORI on the keypad is checked against the registry; three failures go to the general queue, flagged', async () => {
    const ok = await dial('+16155550101', [`${keypadDigits('TX0312100')}#`]);
    expect(ok.end).toMatchObject({ kind: 'enqueue', attributes: { agency: 'TX0312100', caller: 'partner' }, priority: 8 });
    const bad = await dial('+16155550101', ['123456789#', '999999999#', null]);
    expect(bad.end).toMatchObject({ kind: 'enqueue', attributes: { partnerUnverified: true } });
    expect(bad.end).not.toMatchObject({ attributes: { caller: 'partner' } });
  });

  it('UAC line: language, then straight to the UAC unit', async () => {
    expect((await dial('+16155550102', ['2'])).end).toMatchObject({ kind: 'enqueue', attributes: { language: 'es', topic: 'uac' } });
  });

  it('business hours and holidays, in the flow’s time zone', () => {
    const hours: Flow['hours'] = {
      timeZone: 'America/Chicago',
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '17:00' }],
      holidays: ['2026-12-25'],
    };
    expect(isOpen(hours, new Date('2026-11-30T14:00:00Z'))).toBe(true); // Monday 08:00 in Chicago
    expect(isOpen(hours, new Date('2026-11-30T13:59:00Z'))).toBe(false);
    expect(isOpen(hours, new Date('2026-11-29T18:00:00Z'))).toBe(false); // Sunday
    expect(isOpen(hours, new Date('2026-12-25T18:00:00Z'))).toBe(false); // a holiday, a Friday
  });

  it('refuses an invalid flow at load, with the path of each error', () => {
    const flow = structuredClone(flows.get('+16155550100')) as Record<string, unknown> & { nodes: Record<string, Record<string, unknown>> };
    (flow.nodes.reason as { options: Record<string, { next: string }> }).options['9'] = { next: 'emergncy' };
    flow.nodes.notice = { type: 'play', prompt: 'no-such-prompt', next: 'reason' };
    const attempt = () => checkFlow('public-line.json', flow, prompts);
    expect(attempt).toThrow(FlowError);
    try {
      attempt();
    } catch (error) {
      expect((error as FlowError).problems).toEqual(['nodes.reason.options.9.next: unknown node "emergncy"']);
    }
    flow.nodes.reason = { type: 'menu', prompt: 'reason-menu', options: { 12: { next: 'notice' } }, onFailure: 'notice' };
    expect(() => checkFlow('x.json', flow, prompts)).toThrow(/nodes\.reason\.options\.12: must be one key/);
    (flow.nodes.reason as { options: unknown }).options = { 1: { next: 'notice' } };
    expect(() => checkFlow('x.json', flow, prompts)).toThrow(/nodes\.notice\.prompt: unknown prompt "no-such-prompt"/);
  });
});
