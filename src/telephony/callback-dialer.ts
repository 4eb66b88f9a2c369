import { randomBytes } from 'node:crypto';
import { type AttemptOutcome, dialAllowed, outcomeOfStatus } from '../domain/callbacks/callback-policy.js';
import type { EngineEvent } from '../domain/routing/engine-types.js';
import type { CallRecordService } from '../services/call-record.service.js';
import type { CallbackService } from '../services/callback.service.js';
import type { RoutingService } from '../services/routing.service.js';
import { telephonyContext } from './call-session.js';
import type { MediaGateway, OutboundMedia } from './media/media-gateway.js';
import type { SipEndpoint } from './sip/endpoint.js';
import type { OutgoingCall } from './sip/outgoing-call.js';

/**
 * Callbacks, dialed. When an agent accepts a callback's try (an ACD task marked `callback`), the node that claims
 * it first (one UPDATE: one node dials) rings the agent's phone; once the agent answers — the case already on
 * their screen — it dials the caller's number through the edge to the carrier trunk, from the center's caller ID,
 * after checking it against the allow-list. The media is one rtpengine call: the agent's side first against the
 * sink, then the caller's answer in its place. How the try ended (answered, no answer after the ring time, busy,
 * failed, the agent not reached, a number not allowed) goes to the callback service, which keeps the callback or
 * schedules the next try; the outbound call has its own record. The try's task goes to wrap-up when the call ends.
 */

export type OutboundConfig = {
  /** The center's number, presented to the called party (From and P-Asserted-Identity). */
  callerId: string;
  /** Numbers that may be dialed (compiled dial patterns); anything else is refused before dialing. */
  allow: readonly RegExp[];
  /** How long the caller's phone may ring before the try counts as no answer. */
  ringSeconds: number;
};

export type DialerDeps = {
  callbacks: CallbackService;
  calls: CallRecordService;
  routing: RoutingService;
  endpoint: SipEndpoint;
  gateway: MediaGateway;
  /** The SIP edge: where agents' phones are registered and where the carrier trunk is reached. */
  edge: { address: string; port: number };
  outbound: OutboundConfig;
  node: string;
  clock: () => Date;
  timeZone: string;
  log: (event: string, details: Record<string, unknown>) => void;
};

type Dialing = { taskId: string; legs: OutgoingCall[]; pair: OutboundMedia; end: () => void };

export class CallbackDialer {
  private unsubscribe: (() => void) | undefined;
  private readonly dialing = new Map<string, Dialing>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: DialerDeps) {}

  start(): void {
    this.unsubscribe ??= this.deps.routing.subscribe((events: EngineEvent[]) => {
      for (const event of events) {
        if (event.type === 'task.assigned') {
          const task = this.deps.routing.engine.task(event.taskId);
          if (task?.attributes.callback === true) this.track(this.dial(event.taskId, event.workerId));
        }
        // The agent finished the try from the desktop (or it was canceled): the call ends with it.
        if ((event.type === 'task.wrapping' || event.type === 'task.completed' || event.type === 'task.canceled') && 'taskId' in event)
          this.dialing.get(event.taskId)?.end();
      }
    });
  }

  private track(run: Promise<void>): void {
    const p = run
      .catch((error: unknown) => this.deps.log('callback_dial_failed', { error: String(error) }))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private ctx() {
    return telephonyContext(this.deps);
  }

  private async finishTask(taskId: string): Promise<void> {
    const task = this.deps.routing.engine.task(taskId);
    if (task?.status === 'assigned') await this.deps.routing.execute({ type: 'complete', taskId }, this.ctx()).catch(() => undefined);
  }

  /** One try: claim, ring the agent, dial the caller, follow the call to its end. */
  private async dial(taskId: string, workerId: string): Promise<void> {
    const started = this.deps.clock();
    const callback = await this.deps.callbacks.claim(taskId, this.deps.node, started);
    if (!callback) return; // another node dials it, or it is closed
    let reported = false;
    const report = async (outcome: AttemptOutcome, extra: { callId?: string | null; sipStatus?: number | null } = {}) => {
      reported = true;
      await this.deps.callbacks.attemptEnded(this.ctx(), callback.id, {
        taskId,
        workerId,
        callId: extra.callId ?? null,
        outcome,
        sipStatus: extra.sipStatus ?? null,
        startedAt: started,
        endedAt: this.deps.clock(),
      });
    };
    const { log } = this.deps;
    if (!dialAllowed(callback.number, this.deps.outbound.allow)) {
      log('callback_number_not_allowed', { callback: callback.id });
      await report('not_allowed');
      await this.finishTask(taskId);
      return;
    }
    const sipUser = this.deps.routing.engine.worker(workerId)?.attributes.sipUser;
    const pair: OutboundMedia = {
      callId: `cb-${randomBytes(8).toString('hex')}`,
      agentTag: randomBytes(5).toString('hex'),
      partyTag: randomBytes(5).toString('hex'),
    };
    const edge = this.deps.edge;
    let ended = false;
    let wake: () => void = () => undefined;
    const legs: OutgoingCall[] = [];
    const dialing: Dialing = {
      taskId,
      legs,
      pair,
      end: () => {
        ended = true;
        wake();
      },
    };
    this.dialing.set(taskId, dialing);
    const waitFor = <T>(start: (done: (value: T) => void) => void): Promise<T> =>
      new Promise<T>((resolve) => {
        let settled = false;
        const done = (value: T) => {
          if (settled) return;
          settled = true;
          resolve(value);
        };
        wake = () => done(undefined as T);
        start(done);
      });
    let outboundRecord: string | null = null;
    try {
      // 1. The agent's phone.
      const agentAnswer =
        typeof sipUser === 'string' && !ended
          ? await waitFor<string | undefined>((done) => {
              void this.deps.gateway.offerToAgentFirst(pair).then(
                (sdp) => {
                  if (ended) return done(undefined);
                  const user = sipUser.replace(/^sips?:/, '').split('@')[0] ?? sipUser;
                  const agent = this.deps.endpoint.invite(`sip:${user}@${edge.address}:${edge.port}`, edge, sdp, 'switchboard');
                  legs.push(agent);
                  agent.handlers = {
                    onAnswer: (agentSdp) => done(agentSdp),
                    onFailure: () => done(undefined),
                    onEnd: () => dialing.end(),
                  };
                },
                () => done(undefined),
              );
            })
          : undefined;
      if (!agentAnswer || ended) {
        log('callback_agent_not_reached', { callback: callback.id, task: taskId });
        await report('agent_unreachable');
        return;
      }
      await this.deps.gateway.agentAnswered(pair, agentAnswer);
      // 2. The caller's number, through the edge to the carrier trunk.
      const partySdp = await this.deps.gateway.offerToParty(pair, agentAnswer);
      const callerId = this.deps.outbound.callerId;
      const party = this.deps.endpoint.invite(`sip:${callback.number}@${edge.address}:${edge.port}`, edge, partySdp, callerId, [
        ['P-Asserted-Identity', `<sip:${callerId}@${edge.address}>`],
        ['X-Switchboard-Outbound', '1'],
      ]);
      legs.push(party);
      outboundRecord = await this.deps.calls.dialed({
        externalId: party.callId,
        node: this.deps.node,
        line: callback.line,
        unit: callback.unit,
        number: callback.number,
        language: callback.language,
        taskId,
        workerId,
        at: this.deps.clock(),
      });
      const answer = await waitFor<{ sdp: string } | { status: number } | undefined>((done) => {
        const ring = setTimeout(() => party.cancel(), this.deps.outbound.ringSeconds * 1_000);
        party.handlers = {
          onAnswer: (sdp) => {
            clearTimeout(ring);
            done({ sdp });
          },
          onFailure: (status) => {
            clearTimeout(ring);
            done({ status });
          },
          onEnd: () => dialing.end(),
        };
      });
      if (!answer || ended) {
        // The agent hung up (or finished the try) while the number rang: it stops ringing; the try failed.
        party.cancel();
        await this.deps.calls.ended(outboundRecord, 'failed', undefined, this.deps.clock());
        await report('failed', { callId: outboundRecord });
        return;
      }
      if ('status' in answer) {
        const outcome = outcomeOfStatus(answer.status);
        log('callback_not_answered', { callback: callback.id, status: answer.status, outcome });
        await this.deps.calls.ended(
          outboundRecord,
          outcome === 'busy' ? 'busy' : outcome === 'no_answer' ? 'no_answer' : 'failed',
          undefined,
          this.deps.clock(),
        );
        await report(outcome, { callId: outboundRecord, sipStatus: answer.status });
        return;
      }
      // 3. Connected: the callback is kept from this moment (a node lost mid-conversation does not call again).
      await this.deps.gateway.partyAnswered(pair, answer.sdp);
      await this.deps.calls.answered(outboundRecord, workerId, this.deps.clock());
      await report('answered', { callId: outboundRecord, sipStatus: 200 });
      log('callback_connected', { callback: callback.id, task: taskId });
      if (!ended) await waitFor<void>(() => undefined);
      await this.deps.calls.ended(outboundRecord, 'completed', undefined, this.deps.clock());
    } catch (error) {
      // rtpengine or the database failed mid-try: the try counts as failed and the next is scheduled now, not after
      // the sweep's hours (a try reported already, answered, stays so).
      log('callback_try_failed', { callback: callback.id, error: String(error) });
      if (outboundRecord) await this.deps.calls.ended(outboundRecord, 'failed', undefined, this.deps.clock()).catch(() => undefined);
      if (!reported) await report('failed', { callId: outboundRecord }).catch(() => undefined);
    } finally {
      this.dialing.delete(taskId);
      for (const leg of legs) leg.hangup();
      await this.deps.gateway.releasePair(pair);
      await this.finishTask(taskId);
    }
  }

  get active(): number {
    return this.dialing.size;
  }

  /** Hangs up every callback in progress and waits for their records. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const d of this.dialing.values()) d.end();
    await Promise.allSettled([...this.running]);
  }
}
