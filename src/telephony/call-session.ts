// Over 500 lines: one call's life (IVR, queue, agent, end) shares the session's state and waiters; split, each part would reach into the others.
import type { Flow } from '../domain/ivr/flow.js';
import {
  advance,
  type EnqueueNode,
  type Input,
  type Instruction,
  type IvrState,
  initialState,
  type Validators,
} from '../domain/ivr/machine.js';
import type { EngineEvent } from '../domain/routing/engine-types.js';
import { estimatedWaitSeconds } from '../domain/routing/statistics.js';
import type { RequestContext } from '../services/audit.service.js';
import type { CallEndReason, CallRecordService } from '../services/call-record.service.js';
import type { RoutingService } from '../services/routing.service.js';
import type { Language, PromptSource } from './media/prompts.js';
import type { CapturedAudio } from './media/rtp-capture.js';

/**
 * One call, whatever carries it (SIP with rtpengine, or the simulator): the
 * call record, the IVR (prompts, keys with barge-in, timeouts), then the
 * queue — position and expected wait announced on entry and every N seconds,
 * hold audio between, the callback offer, overflow — until an agent takes it
 * or the caller leaves. The session writes every milestone to the call
 * record as it happens; routing events (offered, answered, wrap-up) reach it
 * from the call-control service.
 */

/** What a session needs from the call's carrier. */
export interface CallLeg {
  readonly adapter: 'sip' | 'simulator';
  readonly externalId: string;
  readonly line: string;
  readonly caller: string;
  /** Plays a prompt file to the caller; resolves when it has played, or early when stopped. */
  play(file: string): Promise<void>;
  /** Plays a file over and over (hold audio) until stopped. */
  loop(file: string): Promise<void>;
  stop(): Promise<void>;
  /** Ends the call from our side. */
  hangup(): Promise<void>;
  /** Starts recording the conversation (rtpengine's recording); returns a reference to the recording. */
  record(): Promise<string | null>;
  /** Captures what the caller says from now (a voicemail), up to `maxSeconds`; null when the carrier cannot. */
  captureVoicemail?(maxSeconds: number): Promise<{ finish(): Promise<CapturedAudio | null> } | null>;
  onDigit: ((digit: string) => void) | null;
  onEnd: (() => void) | null;
  readonly ended: boolean;
  /** Rings an agent's phone (SIP only); on answer the caller and the agent are bridged. */
  ringAgent?(address: string, events: AgentEvents): Promise<void>;
  /** Stops ringing the agent, or hangs up on them. */
  releaseAgent?(): void;
  /** Hands the caller to another number (blind transfer); false if the carrier refused. */
  transfer?(to: string): Promise<boolean>;
  /** What another node needs to carry the call on if this one dies (SIP); absent: the call cannot be adopted. */
  saved?(): unknown;
  /** Fires when what `saved()` returns has changed. */
  onChange?: (() => void) | null;
  /** Lets go of the call without a word: another node has adopted it. */
  detach?(): void;
}

/** A call's session as saved with its record (calls.adapter_state), so that another node can carry it on. */
export type SavedSession = {
  v: 1;
  phase: 'ivr' | 'queued' | 'offered' | 'connected' | 'done';
  taskId: string | null;
  language: Language;
  recordingAnnounced: boolean;
  ivr: IvrState;
  /** The enqueue node the caller waits at, and since when (ms since the epoch, the holder's clock). */
  queue: { node: string; since: number } | null;
  leg: unknown;
};

export type AgentEvents = {
  onAnswered: () => void;
  onFailed: (status: number) => void;
  onAgentHangup: () => void;
  /** The agent's phone put the caller on hold (true) or took them off (the softphone's Hold). */
  onAgentHold?: (held: boolean) => void;
};

export type SessionDeps = {
  /** The call record: every milestone is written through it. */
  calls: CallRecordService;
  routing: RoutingService;
  prompts: PromptSource;
  validators: Validators;
  node: string;
  clock: () => Date;
  /** The center's time zone: the calendar of date-only fields (agreements of agencies on the partner line). */
  timeZone: string;
  log: (event: string, details: Record<string, unknown>) => void;
  /** The call is connected to an agent (the interpreter, when the caller asked for one, joins now). */
  onConnected?: ((session: CallSession) => void) | undefined;
  /** After a call whose conversation was recorded: mixes the recording into one playable file and stores it. */
  archiveRecording?: ((recordId: string, ref: string) => Promise<void>) | undefined;
};

/** Who acts when call control writes: the node's telephony, at the node's time, on the center's calendar. */
export function telephonyContext(deps: Pick<SessionDeps, 'node' | 'clock' | 'timeZone'>): RequestContext {
  return { actor: null, system: `telephony.${deps.node}`, sourceIp: null, requestId: null, now: deps.clock(), timeZone: deps.timeZone };
}

class Hangup extends Error {}

/** The phases in which a call can be carried on by another node (before: the IVR starts again; after: nothing left). */
const ADOPTABLE = new Set(['ivr', 'queued', 'offered', 'connected']);

/** The prompt that tells callers the call may be recorded (reference/ivr/prompts.json). */
const RECORDING_NOTICE = 'recording-notice';

type Phase = 'ivr' | 'queued' | 'offered' | 'connected' | 'done';

export class CallSession {
  recordId: string | null = null;
  /** When the caller and the agent were connected (this node's clock). */
  connectedAt: Date | null = null;
  /** What the IVR gathered (language, reason, whether an interpreter is needed). */
  get vars(): Readonly<Record<string, string | boolean>> {
    return this.state.vars;
  }
  /** The conversation's recording in rtpengine, once started (the caller heard the notice and an agent answered). */
  recordingRef: string | null = null;
  taskId: string | null = null;
  phase: Phase = 'ivr';
  private state: IvrState;
  private language: Language = 'en';
  private digits: string[] = [];
  private digitWaiter: (() => void) | null = null;
  private endWaiter: (() => void) | null = null;
  private routingWaiter: ((event: EngineEvent) => void) | null = null;
  private playing = false;
  private interruptible = false;
  private finished = false;
  /** How the call ends if the caller hangs up from here on (set once the call is past the queue: overflow, voicemail). */
  private outcome: CallEndReason | null = null;

  /** Where and since when the caller waits in queue (saved, so an adopter keeps the caller's place and patience). */
  private queueEntry: { node: string; since: number } | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** Another node adopted this call: this session lets go of it and writes nothing more. */
  private detached = false;

  constructor(
    private readonly deps: SessionDeps,
    readonly leg: CallLeg,
    readonly flow: Flow,
  ) {
    this.state = initialState(flow);
    leg.onDigit = (d) => this.digit(d);
    leg.onEnd = () => this.callerLeft();
    if (leg.saved) leg.onChange = () => this.save();
  }

  /**
   * Saves what another node would need to carry the call on, in order, after each change of phase or leg. A save the
   * record refuses means another node holds the call now: this session lets go of it.
   */
  private save(): void {
    const recordId = this.recordId;
    if (!this.leg.saved || !recordId || this.finished || this.detached || !ADOPTABLE.has(this.phase)) return;
    const saved = this.snapshot();
    this.saving = this.saving
      .then(() => this.deps.calls.saveSipState(recordId, this.deps.node, saved))
      .then(
        (ours) => {
          if (!ours && !this.finished) this.detach();
        },
        (error: unknown) => this.deps.log('call_state_not_saved', { callId: this.leg.externalId, error: String(error) }),
      );
  }

  /** What another node needs to carry the call on, as it is now (with `over` applied). */
  private snapshot(over: Partial<SavedSession> = {}): SavedSession {
    return {
      v: 1,
      phase: this.phase,
      taskId: this.taskId,
      language: this.language,
      recordingAnnounced: this.recordingAnnounced,
      ivr: this.state,
      queue: this.queueEntry,
      leg: this.leg.saved?.() ?? null,
      ...over,
    };
  }

  private detach(why = 'call_adopted_elsewhere'): void {
    if (this.detached) return;
    this.detached = true;
    this.deps.log(why, { callId: this.leg.externalId });
    this.leg.detach?.();
    this.callerLeft();
  }

  /** Lets go of the call without a word: the record names another node (this one was paused and taken over). */
  lost(): void {
    // A session that ended its record itself is finishing its own call (hanging up): not lost.
    if (this.finished) return;
    this.detach('call_lost_to_another_node');
  }

  /**
   * Lets go of the call without a word once its last state is saved, for another node to carry on (this node stops
   * for an upgrade). False when it cannot be carried on (not a SIP call, or already over): then it is ended as usual.
   */
  async handOver(): Promise<boolean> {
    if (!this.leg.saved || !this.recordId || this.finished || !ADOPTABLE.has(this.phase)) return false;
    this.save();
    await this.saving;
    if (this.finished) return false;
    this.detach('call_handed_over');
    return true;
  }

  /** The hold marks not yet written, in the order they happened. */
  private holdWrites: Promise<void> = Promise.resolve();

  /**
   * The caller went on hold (a consultation) or came back: counted on the call record at this instant. The write
   * never holds up the audio (the record waits out a database failover for up to 30 s); the marks are written one
   * after another, in order; a failed write is not the caller's problem.
   */
  markHold(on: boolean): void {
    const id = this.recordId;
    if (!id) return;
    const at = this.deps.clock();
    this.holdWrites = this.holdWrites.then(() => this.deps.calls.hold(id, on, at)).catch(() => undefined);
  }

  /** The caller holds (the hold message loops to them) while the agent consults; false: back to the conversation. */
  /** The hold message in the caller's language (a WAV file): what they hear while the agent consults. */
  holdMessage(): Promise<string> {
    return this.deps.prompts.file('hold-music', this.language);
  }

  /**
   * A warm transfer: the agent has left the call to the party they consulted. The task goes to wrap-up; the call goes
   * on until the caller or that party hangs up, and its record then says transferred.
   */
  async handedOver(): Promise<void> {
    this.warmTransferred = true;
    const taskId = this.taskId;
    if (taskId && this.deps.routing.engine.task(taskId)?.status === 'assigned')
      await this.deps.routing.execute({ type: 'complete', taskId }, this.ctx()).catch((error: unknown) => {
        this.deps.log('handover_complete_failed', { callId: this.leg.externalId, error: String(error) });
      });
  }

  private warmTransferred = false;

  /** The agent hung up: the task goes to wrap-up (the session then ends the caller's side). */
  agentHungUp(): void {
    const taskId = this.taskId;
    const task = taskId ? this.deps.routing.engine.task(taskId) : undefined;
    if (taskId && task?.status === 'assigned') this.deps.routing.execute({ type: 'complete', taskId }, this.ctx()).catch(() => undefined);
  }

  private ctx(): RequestContext {
    return telephonyContext(this.deps);
  }

  private digit(d: string): void {
    if (this.finished) return;
    this.digits.push(d);
    if (this.playing && this.interruptible) void this.leg.stop().catch(() => undefined);
    const wake = this.digitWaiter;
    this.digitWaiter = null;
    wake?.();
  }

  private callerLeft(): void {
    const wake = this.endWaiter;
    this.endWaiter = null;
    wake?.();
    const d = this.digitWaiter;
    this.digitWaiter = null;
    d?.();
  }

  /** A routing event about this call's task (from the call-control service). */
  routingEvent(event: EngineEvent): void {
    // Milestones are written whatever the session is doing (it may be playing a prompt).
    if (event.type === 'reservation.created') {
      if (this.recordId)
        this.deps.calls
          .offered(this.recordId, event.workerId, this.deps.clock())
          .catch((error) => this.deps.log('call_record_failed', { callId: this.leg.externalId, error: String(error) }));
      this.ringAgent(event.reservationId, event.workerId);
    }
    if ((event.type === 'reservation.timed-out' || event.type === 'reservation.rescinded') && event.reservationId === this.ringing) {
      this.ringing = null;
      this.leg.releaseAgent?.();
    }
    this.routingWaiter?.(event);
  }

  private ringing: string | null = null;

  /** The ACD chose an agent: ring their registered phone; answered → accepted, refused → rejected (the next agent). */
  private ringAgent(reservationId: string, workerId: string): void {
    const address = this.deps.routing.engine.worker(workerId)?.attributes.sipUser;
    if (typeof address !== 'string' || !this.leg.ringAgent || this.leg.ended) return;
    this.ringing = reservationId;
    const taskId = this.taskId;
    const ctx = () => this.ctx();
    const routing = this.deps.routing;
    const log = this.deps.log;
    const callId = this.leg.externalId;
    this.leg
      .ringAgent(address, {
        onAnswered: () => {
          if (this.ringing !== reservationId) {
            this.leg.releaseAgent?.();
            return;
          }
          this.ringing = null;
          routing.execute({ type: 'accept', reservationId }, ctx()).catch((error) => {
            log('agent_accept_failed', { callId, error: String(error) });
            this.leg.releaseAgent?.();
          });
        },
        onFailed: (status) => {
          if (this.ringing !== reservationId) return;
          this.ringing = null;
          log('agent_not_reached', { callId, status });
          routing.execute({ type: 'reject', reservationId }, ctx()).catch(() => undefined);
        },
        onAgentHangup: () => {
          if (this.taskId === taskId) this.agentHungUp();
        },
        onAgentHold: (held) => {
          if (this.taskId === taskId) this.markHold(held);
        },
      })
      .catch((error) => {
        log('agent_ring_failed', { callId, error: String(error) });
        if (this.ringing === reservationId) {
          this.ringing = null;
          routing.execute({ type: 'reject', reservationId }, ctx()).catch(() => undefined);
        }
      });
  }

  /** Runs the call from arrival to the end. Never throws: a failure ends the call as failed. */
  async run(): Promise<void> {
    const arrived = this.deps.clock();
    try {
      const id = await this.deps.calls.arrivedOnce({
        adapter: this.leg.adapter,
        externalId: this.leg.externalId,
        node: this.deps.node,
        line: this.flow.line,
        unit: this.flow.unit,
        caller: this.leg.caller || null,
        arrivedAt: arrived,
      });
      if (!id) {
        // The same call again (a retried INVITE on another node after a failover): keep the first record.
        this.deps.log('duplicate_call', { externalId: this.leg.externalId });
      }
      this.recordId = id;
      this.save();
      await this.ivr();
    } catch (error) {
      await this.failed(error);
    }
  }

  /**
   * Carries on a call adopted from a node that died, from where its saved state left it: a caller in queue keeps
   * their task (and so their place and arrival time) and waits on; a caller with an agent stays with the agent; a
   * caller still in the menus starts them again (keys pressed on the other node are gone with it).
   */
  async resume(recordId: string, saved: SavedSession): Promise<void> {
    this.recordId = recordId;
    this.taskId = saved.taskId;
    this.language = saved.language;
    this.recordingAnnounced = saved.recordingAnnounced;
    this.queueEntry = saved.queue;
    this.phase = saved.phase;
    try {
      const taskId = saved.taskId;
      const task = taskId ? this.deps.routing.engine.task(taskId) : undefined;
      if (taskId && task && saved.phase !== 'ivr') {
        this.state = saved.ivr;
        this.save();
        if (saved.phase === 'connected' || task.status === 'assigned' || task.status === 'wrapping') {
          await this.connected(taskId, true);
          return;
        }
        const node = saved.queue ? this.flow.nodes[saved.queue.node] : undefined;
        if (node?.type !== 'enqueue') throw new Error(`the saved queue node ${saved.queue?.node ?? '(none)'} is not an enqueue node`);
        await this.wait(node, taskId, saved.queue?.since ?? Date.now(), false);
        return;
      }
      this.phase = 'ivr';
      this.save();
      await this.ivr();
    } catch (error) {
      await this.failed(error);
    }
  }

  private async failed(error: unknown): Promise<void> {
    if (this.detached) return;
    // A call that another node holds now (this one paused and was taken over) is not this node's to end or hang up.
    if (this.leg.saved && this.recordId && !(await this.deps.calls.holds(this.recordId, this.deps.node).catch(() => true))) {
      this.detach('call_lost_to_another_node');
      return;
    }
    // Ending the record may fail too (the database away): logged, never thrown — a call must not stop the server.
    try {
      // An error after the caller has gone (a prompt for a call rtpengine has just deleted) is the caller leaving.
      if (error instanceof Hangup || this.leg.ended)
        await this.end(this.outcome ?? (this.phase === 'ivr' ? 'abandoned_ivr' : 'abandoned_queue'));
      else {
        this.deps.log('call_failed', { callId: this.leg.externalId, error: String(error) });
        await this.end('failed');
      }
    } catch (again) {
      this.deps.log('call_record_failed', { callId: this.leg.externalId, error: String(again) });
    }
    if (!this.leg.ended) await this.leg.hangup().catch(() => undefined);
  }

  private check(): void {
    if (this.leg.ended || this.detached) throw new Hangup();
  }

  private async ivr(): Promise<void> {
    let step = await advance(this.flow, this.state, null, { now: this.deps.clock(), validators: this.deps.validators });
    for (;;) {
      this.state = step.state;
      this.language = this.state.vars.language === 'es' ? 'es' : 'en';
      let input: Input | undefined;
      for (const instruction of step.instructions) {
        this.check();
        const done = await this.perform(instruction);
        if (done === 'ended') return;
        if (done !== undefined) input = done;
      }
      if (input === undefined) return;
      step = await advance(this.flow, this.state, input, { now: this.deps.clock(), validators: this.deps.validators });
    }
  }

  /** Plays a prompt; a key pressed during it cuts it short when it may be interrupted (menus do not wait for the end). */
  /** Whether the caller was told the call may be recorded: only then is the conversation with the agent recorded. */
  private recordingAnnounced = false;

  private async say(prompt: string, interruptible: boolean, params: Record<string, string | number> = {}): Promise<void> {
    if (interruptible && this.digits.length > 0) return;
    if (prompt === RECORDING_NOTICE) this.recordingAnnounced = true;
    const file = await this.deps.prompts.file(prompt, this.language, params);
    this.check();
    this.playing = true;
    this.interruptible = interruptible;
    try {
      await this.leg.play(file);
    } finally {
      this.playing = false;
    }
    this.check();
  }

  private waitFor(ms: number, wakeOnDigit: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.endWaiter = done;
      if (wakeOnDigit) this.digitWaiter = done;
    });
  }

  private async gather(i: Extract<Instruction, { kind: 'gather' }>): Promise<Input> {
    await this.say(i.prompt, true);
    // Keys pressed before the prompt ended count; then each key restarts the wait.
    for (;;) {
      const typed = this.digits.join('');
      const terminated = i.terminator !== undefined && typed.includes(i.terminator);
      if (terminated || typed.length >= i.maxDigits) break;
      const before = this.digits.length;
      await this.waitFor(i.timeoutMs, true);
      this.check();
      if (this.digits.length === before) break; // the timeout
    }
    const typed = this.digits.join('');
    this.digits = [];
    if (typed === '') return { timeout: true };
    const cut =
      i.terminator !== undefined && typed.includes(i.terminator)
        ? typed.slice(0, typed.indexOf(i.terminator) + 1)
        : typed.slice(0, i.maxDigits);
    return { digits: cut };
  }

  private async perform(i: Instruction): Promise<Input | 'ended' | undefined> {
    switch (i.kind) {
      case 'play':
        await this.say(i.prompt, false);
        return undefined;
      case 'gather':
        return this.gather(i);
      case 'hangup':
        await this.finishIvr();
        await this.end(
          i.reason === 'emergency_guidance'
            ? 'emergency_guidance'
            : i.reason === 'closed'
              ? 'closed'
              : i.reason === 'failed'
                ? 'failed'
                : 'completed',
        );
        await this.leg.hangup();
        return 'ended';
      case 'voicemail':
        await this.finishIvr();
        await this.voicemail(i.prompt, i.maxSeconds, 'voicemail');
        return 'ended';
      case 'transfer': {
        await this.finishIvr();
        const done = this.leg.transfer ? await this.leg.transfer(i.to).catch(() => false) : false;
        if (!done) this.deps.log('transfer_failed', { callId: this.leg.externalId });
        await this.end(done ? 'transferred' : 'failed');
        if (!this.leg.ended) await this.leg.hangup();
        return 'ended';
      }
      case 'enqueue':
        await this.finishIvr();
        await this.queue(i.node, i.attributes, i.priority);
        return 'ended';
    }
  }

  private async finishIvr(): Promise<void> {
    if (this.recordId) await this.deps.calls.ivrDone(this.recordId, this.state.vars, this.state.path, this.deps.clock());
  }

  private nextRoutingEvent(ms: number): Promise<EngineEvent | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), ms);
      const finish = (e: EngineEvent | null) => {
        clearTimeout(timer);
        this.routingWaiter = null;
        this.digitWaiter = null;
        this.endWaiter = null;
        resolve(e);
      };
      this.routingWaiter = (e) => finish(e);
      this.digitWaiter = () => finish(null);
      this.endWaiter = () => finish(null);
    });
  }

  private async queue(node: EnqueueNode, vars: Record<string, string | boolean>, priority: number): Promise<void> {
    const taskId = this.deps.routing.newTaskId();
    this.taskId = taskId;
    const started = Date.now();
    const nodeId = Object.entries(this.flow.nodes).find(([, n]) => n === node)?.[0] ?? this.state.node;
    const entry = { node: nodeId, since: started };
    // The task and the state another node would carry the call on from (queued, with it) are stored in one
    // transaction: a node killed right after cannot leave a queued caller whose saved state says "in the menus". The
    // saves still under way land first, so none of them can put an older state over it.
    await this.saving;
    const adoptable = this.leg.saved && !this.detached;
    await this.deps.calls.queued(this.ctx(), {
      taskId,
      recordId: this.recordId,
      line: this.flow.line,
      language: this.language,
      vars,
      priority,
      ...(adoptable ? { sipState: { node: this.deps.node, state: this.snapshot({ phase: 'queued', taskId, queue: entry }) } } : {}),
    });
    this.phase = 'queued';
    this.queueEntry = entry;
    const ewt = estimatedWaitSeconds(this.deps.routing.engine, taskId);
    if (ewt && ewt.position > node.maxWaiting) {
      await this.overflow(node, taskId);
      return;
    }
    await this.wait(node, taskId, started, true);
  }

  /** Waits in queue (announcements, hold audio, the callback offer, overflow) until an agent takes the call or the caller leaves. */
  private async wait(node: EnqueueNode, taskId: string, started: number, entry: boolean): Promise<void> {
    try {
      if (entry && this.stillWaiting(taskId)) await this.say('queue-entry', false);
      let nextAnnouncement = 0;
      while (this.stillWaiting(taskId)) {
        this.check();
        if (Date.now() - started >= node.maxWaitSeconds * 1_000) {
          await this.overflow(node, taskId);
          return;
        }
        if (Date.now() >= nextAnnouncement) {
          const now = estimatedWaitSeconds(this.deps.routing.engine, taskId);
          if (now && now.position > 0) {
            await this.say('queue-position', false, { position: now.position, minutes: Math.max(1, Math.round(now.seconds / 60)) });
            if (this.callbackOffered(node) && this.stillWaiting(taskId)) await this.say('callback-offer', true);
          }
          nextAnnouncement = Date.now() + node.announceEverySeconds * 1_000;
          if (this.stillWaiting(taskId)) await this.leg.loop(await this.deps.prompts.file('hold-music', this.language));
        }
        if (this.callbackOffered(node) && this.digits.includes('1')) {
          await this.leg.stop();
          await this.callback(taskId);
          return;
        }
        this.digits = [];
        await this.nextRoutingEvent(Math.max(200, Math.min(nextAnnouncement - Date.now(), 1_000)));
      }
      // Offered or answered: the session now follows the agent's side.
      await this.connected(taskId);
    } catch (error) {
      if (error instanceof Hangup && !this.finished) {
        await this.callerAbandoned(taskId);
        return;
      }
      throw error;
    }
  }

  /** A callback is offered only to a caller whose number can be called back (not withheld or anonymous). */
  private callbackOffered(node: EnqueueNode): boolean {
    return node.callbackOffer && /^\+?[1-9]\d{6,14}$/.test(this.leg.caller.replace(/[\s().-]/g, ''));
  }

  private stillWaiting(taskId: string): boolean {
    const task = this.deps.routing.engine.task(taskId);
    return !this.leg.ended && task?.status === 'pending';
  }

  /** Reserved for an agent: the caller keeps hearing hold audio until the agent answers; then the call belongs to them. */
  private async connected(taskId: string, resumed = false): Promise<void> {
    if (!resumed) this.phase = 'offered';
    for (;;) {
      const task = this.deps.routing.engine.task(taskId);
      if (!task || this.detached) return;
      if (this.leg.ended) {
        await this.callerAbandoned(taskId);
        return;
      }
      if (task.status === 'pending') {
        // The offer was refused or rang out: back to waiting, same place.
        this.phase = 'queued';
        await this.nextRoutingEvent(1_000);
        if (this.deps.routing.engine.task(taskId)?.status !== 'pending') this.phase = 'offered';
        continue;
      }
      if (task.status === 'assigned' && this.phase !== 'connected') {
        this.phase = 'connected';
        await this.leg.stop();
        if (this.recordId) await this.deps.calls.answered(this.recordId, task.workerId, this.deps.clock());
        if (this.recordingAnnounced) {
          const ref = await this.leg.record().catch(() => null);
          if (ref && this.recordId) await this.deps.calls.recording(this.recordId, ref);
          this.recordingRef = ref;
        }
        this.deps.log('call_answered', { callId: this.leg.externalId, taskId });
        this.save();
        this.connectedAt = this.deps.clock();
        this.deps.onConnected?.(this);
      }
      if ((task.status === 'wrapping' || task.status === 'completed') && this.warmTransferred) {
        // The caller talks to the party the agent handed them to, until one of them hangs up.
        if (!this.leg.ended)
          await new Promise<void>((resolve) => {
            this.endWaiter = resolve;
          });
        await this.end('transferred');
        return;
      }
      if (task.status === 'wrapping' || task.status === 'completed') {
        await this.end('completed');
        if (!this.leg.ended) await this.leg.hangup();
        return;
      }
      if (task.status === 'canceled') {
        await this.end(task.cancelReason === 'transferred' ? 'transferred' : 'failed');
        if (!this.leg.ended) await this.leg.hangup();
        return;
      }
      await this.nextRoutingEvent(1_000);
    }
  }

  /** The caller hung up: a waiting task is canceled as abandoned; a connected call goes to wrap-up. */
  private async callerAbandoned(taskId: string): Promise<void> {
    if (this.detached) return;
    // The task's state may change between reading it and the command landing (an agent's accept already queued):
    // on a refusal, read it again and do what its state now needs.
    for (let attempt = 0; attempt < 3; attempt++) {
      const task = this.deps.routing.engine.task(taskId);
      try {
        // The command and the record's end in one transaction (the record unless it has ended already).
        const recordId = this.finished ? null : this.recordId;
        if (task && (task.status === 'pending' || task.status === 'reserved')) {
          await this.deps.calls.abandoned(this.ctx(), {
            taskId,
            recordId,
            reason: this.outcome ?? 'abandoned_queue',
            path: this.state.path,
          });
          this.ended();
          return;
        }
        if (task && task.status === 'assigned') {
          this.leg.releaseAgent?.();
          await this.deps.calls.completed(this.ctx(), { taskId, recordId, path: this.state.path });
          this.ended();
          return;
        }
        break;
      } catch (error) {
        this.deps.log('abandon_retry', { callId: this.leg.externalId, error: String(error) });
      }
    }
    await this.end(this.outcome ?? (this.phase === 'connected' ? 'completed' : 'abandoned_queue'));
  }

  private async callback(taskId: string): Promise<void> {
    const callbackTaskId = this.deps.routing.newTaskId();
    await this.deps.calls.callbackRequested(this.ctx(), {
      recordId: this.recordId,
      taskId,
      callbackTaskId,
      attributes: { callback: true, ...(this.recordId ? { callRecord: this.recordId } : {}) },
    });
    this.phase = 'done';
    await this.end('callback');
    await this.say('callback-confirmed', false).catch(() => undefined);
    if (!this.leg.ended) await this.leg.hangup();
  }

  private async overflow(node: EnqueueNode, taskId: string): Promise<void> {
    const task = this.deps.routing.engine.task(taskId);
    if (task && (task.status === 'pending' || task.status === 'reserved')) {
      const canceled = await this.deps.routing.execute({ type: 'cancel', taskId, reason: 'overflowed' }, this.ctx()).then(
        () => true,
        () => false,
      );
      // An agent took it at that very moment: the call goes on with them.
      if (!canceled) {
        await this.connected(taskId);
        return;
      }
    }
    // The record will say overflowed whatever happens next (the caller may hang up during the prompt or the message).
    this.outcome = 'overflowed';
    await this.leg.stop();
    await this.say('overflow', false);
    if (node.overflow === 'callback') {
      // The canceled task cannot be turned into a callback any more: a new callback task, for the same number.
      const callbackTaskId = this.deps.routing.newTaskId();
      await this.deps.calls.overflowCallback(this.ctx(), {
        recordId: this.recordId,
        callbackTaskId,
        attributes: {
          kind: 'call',
          callback: true,
          callbackFor: taskId,
          line: this.flow.line,
          language: this.language,
          ...(this.recordId ? { callRecord: this.recordId } : {}),
        },
      });
      await this.end('overflowed');
      await this.say('callback-confirmed', false).catch(() => undefined);
      await this.leg.hangup();
      return;
    }
    await this.voicemail('voicemail', 120, 'overflowed');
  }

  /**
   * The caller leaves a message: captured (SIP) until they hang up or the time is up, then stored and made a work
   * item in the queue the call would have reached (the IVR's variables, the line, the language). A carrier that
   * cannot capture records the call with rtpengine as before.
   */
  private async voicemail(prompt: string, maxSeconds: number, reason: CallEndReason): Promise<void> {
    this.outcome = reason;
    await this.say(prompt, false);
    const capture = this.leg.captureVoicemail
      ? await this.leg.captureVoicemail(maxSeconds).catch((error: unknown) => {
          this.deps.log('voicemail_capture_failed', { callId: this.leg.externalId, error: String(error) });
          return null;
        })
      : null;
    if (!capture) {
      const ref = await this.leg.record();
      if (this.recordId) await this.deps.calls.recording(this.recordId, ref);
    }
    try {
      await this.waitFor(maxSeconds * 1_000, false);
      await this.end(reason);
      if (!this.leg.ended) await this.leg.hangup();
    } finally {
      const audio = capture ? await capture.finish() : null;
      if (audio && this.recordId && !this.detached)
        await this.deps.calls
          .voicemailLeft(this.ctx(), {
            recordId: this.recordId,
            taskId: this.deps.routing.newTaskId(),
            vars: this.state.vars,
            line: this.flow.line,
            language: this.language,
            wav: audio.wav,
            durationMs: audio.durationMs,
          })
          .catch((error: unknown) => this.deps.log('voicemail_not_saved', { callId: this.leg.externalId, error: String(error) }));
    }
  }

  /** The record has ended (written with a routing command). */
  private ended(): void {
    this.finished = true;
    this.phase = 'done';
  }

  private async end(reason: CallEndReason): Promise<void> {
    if (this.finished) return;
    this.ended();
    if (this.recordId) await this.deps.calls.ended(this.recordId, reason, this.state.path, this.deps.clock());
  }
}
