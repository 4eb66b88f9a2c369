import { performance } from 'node:perf_hooks';
import type { Flow } from '../domain/ivr/flow.js';
import { keypadDigits, type Validators } from '../domain/ivr/machine.js';
import type { EngineEvent } from '../domain/routing/engine-types.js';
import type { CallRow } from '../services/call-record.service.js';
import { type CallLeg, CallSession, type SavedSession, type SessionDeps, telephonyContext } from './call-session.js';

/**
 * The call-control service: takes calls from any adapter (SIP, simulator),
 * finds the line's IVR flow, runs a session per call, and hands each session
 * the routing events about its task. Several call-control nodes may run
 * behind the SIP edge; each holds its own calls, beats every second, and
 * adopts the calls of a node whose beat has stopped (their state is saved
 * with each record as it changes): a caller waiting keeps their place, a
 * caller with an agent stays with them.
 */

/** An adapter's way of carrying on a call another node held: its leg rebuilt from the saved state, or null if the call is gone. */
export type Adopter = (record: CallRow, saved: SavedSession) => Promise<{ leg: CallLeg; wire: (session: CallSession) => void } | null>;

/** How often a node beats, and how long without a beat before its calls are adopted. */
export const BEAT_MS = 1_000;
export const ADOPT_AFTER_MS = 4_000;

/** The line a dialled number belongs to: +16155550100, 16155550100 and 6155550100 are the same line. */
export function normalizeNumber(dialled: string): string | null {
  const digits = dialled.replace(/^tel:|^sips?:/i, '').replace(/[\s().-]/g, '');
  if (/^\+[1-9]\d{6,14}$/.test(digits)) return digits;
  if (/^1\d{10}$/.test(digits)) return `+${digits}`;
  if (/^\d{10}$/.test(digits)) return `+1${digits}`;
  return null;
}

export type CallControlDeps = Omit<SessionDeps, 'validators'> & {
  flows: Map<string, Flow>;
  /** How long a node may miss its beat before its calls are adopted (default ADOPT_AFTER_MS). */
  adoptAfterMs?: number;
};

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
    return this.deps.calls.recoverNode(telephonyContext(this.deps), this.deps.node);
  }

  start(): void {
    this.unsubscribe ??= this.deps.routing.subscribe((events: EngineEvent[]) => {
      for (const event of events) {
        if (!('taskId' in event)) continue;
        for (const s of this.sessions) if (s.taskId === event.taskId) s.routingEvent(event);
      }
    });
  }

  private adopter: Adopter | null = null;
  /** Since when this node's beats have been getting through (null: the last one failed). */
  private beatingSince: number | null = null;
  private beatTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** Records being adopted here now: a sweep and an in-dialog request never adopt one call twice at once. */
  private readonly adopting = new Map<string, Promise<void>>();

  /**
   * Starts carrying on other nodes' calls (an adapter that can rebuild a leg): beats every second, adopts at once the
   * calls this node held before it restarted, then every second those of nodes whose beat is older than the delay.
   */
  adoptWith(adopter: Adopter): void {
    this.adopter = adopter;
    if (this.beatTimer) return;
    const tick = async (first: boolean) => {
      if (this.sweeping) return;
      this.sweeping = true;
      try {
        try {
          await this.deps.calls.beat(this.deps.node);
        } catch (error) {
          this.beatingSince = null;
          throw error;
        }
        this.beatingSince ??= performance.now();
        // Calls this node runs whose record names another node now (it was paused and taken over): let them go.
        const running = [...this.sessions].filter((s) => s.recordId !== null && s.leg.saved);
        if (running.length > 0) {
          const held = new Set(
            await this.deps.calls.heldOf(
              this.deps.node,
              running.map((s) => s.recordId as string),
            ),
          );
          for (const s of running) if (!held.has(s.recordId as string)) s.lost();
        }
        if (first) for (const row of await this.deps.calls.openSipCallsOf(this.deps.node)) await this.adopt(row);
        // After the database was away (every node's beat stopped), adopt nothing until the other nodes have had the
        // time to beat again: a node whose beat is old then is dead, not merely cut off as this one was.
        const delay = this.deps.adoptAfterMs ?? ADOPT_AFTER_MS;
        if (performance.now() - (this.beatingSince ?? performance.now()) < delay + 2 * BEAT_MS) return;
        const orphans = await this.deps.calls.adoptOrphans(this.deps.node, delay);
        for (const row of orphans) await this.adopt(row);
      } catch (error) {
        this.deps.log('call_adoption_failed', { error: String(error) });
      } finally {
        this.sweeping = false;
      }
    };
    void tick(true);
    this.beatTimer = setInterval(() => void tick(false), BEAT_MS);
    this.beatTimer.unref();
  }

  /** An in-dialog request came here for a call this node does not hold (its node did not answer the edge): adopt it now. */
  async adoptByDialog(sipCallId: string): Promise<void> {
    const row = await this.deps.calls.adoptByDialog(this.deps.node, sipCallId);
    if (row) await this.adopt(row);
  }

  /** Carries on one call whose record now names this node. */
  private adopt(row: CallRow): Promise<void> {
    // Already carried on here (a session runs it), or being adopted right now: once is enough.
    if ([...this.sessions].some((s) => s.recordId === row.id)) return Promise.resolve();
    const known = this.adopting.get(row.id);
    if (known) return known;
    const done = this.carryOn(row).finally(() => this.adopting.delete(row.id));
    this.adopting.set(row.id, done);
    return done;
  }

  private async carryOn(row: CallRow): Promise<void> {
    const saved = row.adapter_state as SavedSession | null;
    const flow = this.flowFor(row.line);
    const ctx = telephonyContext(this.deps);
    const rebuilt = saved?.v === 1 && flow && this.adopter ? await this.adopter(row, saved).catch(() => null) : null;
    if (!rebuilt || !saved || !flow) {
      // The call is gone with its node (rtpengine no longer has it) or cannot be rebuilt: it ends as failed.
      this.deps.log('call_not_adopted', { record: row.id });
      await this.deps.calls.endGone(ctx, row);
      return;
    }
    const session = new CallSession({ ...this.deps, validators: this.validators }, rebuilt.leg, flow);
    rebuilt.wire(session);
    this.deps.log('call_adopted', { record: row.id, phase: saved.phase, from: row.node });
    this.sessions.add(session);
    const run = session
      .resume(row.id, saved)
      .catch((error: unknown) => this.deps.log('call_session_failed', { callId: rebuilt.leg.externalId, error: String(error) }))
      .then(() => this.archive(session))
      .finally(() => {
        this.sessions.delete(session);
        this.running.delete(run);
      });
    this.running.add(run);
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
      .then(() => this.archive(session))
      .finally(() => {
        this.sessions.delete(session);
        this.running.delete(run);
      });
    this.running.add(run);
    return session;
  }

  /** A recorded conversation, once its call is over: mixed and stored (a failure is logged; the call is not affected). */
  /** Calls when a session is over (its conference, if any, is ended by the listener). */
  onSessionEnd: ((session: CallSession) => void) | null = null;

  /** The session of a call this node runs, by its record. */
  sessionByRecord(recordId: string): CallSession | undefined {
    return [...this.sessions].find((s) => s.recordId === recordId);
  }

  /** The calls this node runs now. */
  liveSessions(): CallSession[] {
    return [...this.sessions];
  }

  private async archive(session: CallSession): Promise<void> {
    this.onSessionEnd?.(session);
    const { recordId, recordingRef } = session;
    if (!recordId || !recordingRef || !this.deps.archiveRecording || !session.leg.ended) return;
    await this.deps
      .archiveRecording(recordId, recordingRef)
      .catch((error: unknown) => this.deps.log('recording_not_archived', { callId: session.leg.externalId, error: String(error) }));
  }

  lines(): IterableIterator<string> {
    return this.deps.flows.keys();
  }

  get active(): number {
    return this.sessions.size;
  }

  /**
   * Stops without ending the calls it can hand over: each one's state saved, then let go; the node leaves the beat
   * table, so another node adopts them within a second (a rolling restart with the edge and rtpengine shared).
   * Calls that cannot be handed over are ended as on `stop()`.
   */
  async handOver(): Promise<number> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    let handed = 0;
    for (const s of [...this.sessions]) {
      if (await s.handOver().catch(() => false)) handed += 1;
      else if (!s.leg.ended) await s.leg.hangup().catch(() => undefined);
    }
    await Promise.allSettled([...this.running]);
    await this.deps.calls.leave(this.deps.node).catch(() => undefined);
    return handed;
  }

  /** Ends every call this node holds (shutdown) and waits for their records to be written. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    for (const s of this.sessions) if (!s.leg.ended) await s.leg.hangup().catch(() => undefined);
    await Promise.allSettled([...this.running]);
    // Left on purpose, its calls ended: no one waits for this node's beat.
    if (this.adopter) await this.deps.calls.leave(this.deps.node).catch(() => undefined);
  }
}
