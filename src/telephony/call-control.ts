import type { Flow } from '../domain/ivr/flow.js';
import { keypadDigits, type Validators } from '../domain/ivr/machine.js';
import type { EngineEvent } from '../domain/routing/engine-types.js';
import { type CallLeg, CallSession, type SessionDeps } from './call-session.js';

/**
 * The call-control service: takes calls from any adapter (SIP, simulator),
 * finds the line's IVR flow, runs a session per call, and hands each session
 * the routing events about its task. Several call-control nodes may run
 * behind the SIP edge; each holds only its own calls.
 */

/** The line a dialled number belongs to: +16155550100, 16155550100 and 6155550100 are the same line. */
export function normalizeNumber(dialled: string): string | null {
  const digits = dialled.replace(/^tel:|^sips?:/i, '').replace(/[\s().-]/g, '');
  if (/^\+[1-9]\d{6,14}$/.test(digits)) return digits;
  if (/^1\d{10}$/.test(digits)) return `+${digits}`;
  if (/^\d{10}$/.test(digits)) return `+1${digits}`;
  return null;
}

export type CallControlDeps = Omit<SessionDeps, 'validators'> & { flows: Map<string, Flow> };

export class CallControl {
  private readonly sessions = new Set<CallSession>();
  private readonly running = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private agencyCache: { at: number; digits: Map<string, string[]> } | null = null;
  readonly validators: Validators;

  constructor(private readonly deps: CallControlDeps) {
    this.validators = { agencyOri: (digits) => this.agencyByKeypad(digits) };
  }

  /**
   * After a crash or restart of this node: its calls that never ended are gone with it. Their records end as failed,
   * and tasks still waiting for an agent are canceled (as abandoned — the caller is no longer there).
   */
  async recover(): Promise<number> {
    const now = this.deps.clock();
    const ctx = { actor: null, system: `telephony.${this.deps.node}`, sourceIp: null, requestId: null, now, timeZone: this.deps.timeZone };
    return this.deps.calls.recoverNode(ctx, this.deps.node);
  }

  start(): void {
    this.unsubscribe ??= this.deps.routing.subscribe((events: EngineEvent[]) => {
      for (const event of events) {
        if (!('taskId' in event)) continue;
        for (const s of this.sessions) if (s.taskId === event.taskId) s.routingEvent(event);
      }
    });
  }

  /** An agency whose 287(g) agreement is in force (the same rule as its submissions), by its ORI typed on a keypad; ambiguous or unknown → null. */
  private async agencyByKeypad(digits: string): Promise<string | null> {
    const now = Date.now();
    if (!this.agencyCache || now - this.agencyCache.at > 60_000) {
      const oris = await this.deps.calls.agenciesInForce(this.deps.clock(), this.deps.timeZone);
      const map = new Map<string, string[]>();
      for (const ori of oris) {
        const key = keypadDigits(ori);
        map.set(key, [...(map.get(key) ?? []), ori]);
      }
      this.agencyCache = { at: now, digits: map };
    }
    const found = this.agencyCache.digits.get(digits);
    return found?.length === 1 ? (found[0] as string) : null;
  }

  flowFor(dialled: string): Flow | undefined {
    const line = normalizeNumber(dialled);
    return line ? this.deps.flows.get(line) : undefined;
  }

  /** Takes a call for a known line and runs it; false if the number is not one of ours. */
  accept(leg: CallLeg): CallSession | null {
    const flow = this.flowFor(leg.line);
    if (!flow) return null;
    const session = new CallSession({ ...this.deps, validators: this.validators }, leg, flow);
    this.sessions.add(session);
    const run = session
      .run()
      .catch((error: unknown) => this.deps.log('call_session_failed', { callId: leg.externalId, error: String(error) }))
      .finally(() => {
        this.sessions.delete(session);
        this.running.delete(run);
      });
    this.running.add(run);
    return session;
  }

  lines(): IterableIterator<string> {
    return this.deps.flows.keys();
  }

  get active(): number {
    return this.sessions.size;
  }

  /** Ends every call this node holds (shutdown) and waits for their records to be written. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const s of this.sessions) if (!s.leg.ended) await s.leg.hangup().catch(() => undefined);
    await Promise.allSettled([...this.running]);
  }
}
