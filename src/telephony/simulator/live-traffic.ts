import { seededRandom } from '../../domain/demo/random.js';
import type { EngineEvent } from '../../domain/routing/engine-types.js';
import type { RequestContext } from '../../services/audit.service.js';
import type { RoutingService } from '../../services/routing.service.js';
import { SimulatedLeg } from '../adapters/simulated-leg.js';
import type { CallControl } from '../call-control.js';

const PUBLIC_LINE = '+16155550100';

/**
 * The simulator telephony adapter: synthetic callers and synthetic agents on
 * the running server's real routing engine, at real time or faster, so the
 * wallboard moves in a demo. Callers arrive as a Poisson process, wait, hang
 * up when their patience runs out; agents answer after a short ring, talk for
 * an exponential handle time and wrap up. Everything goes through the same
 * routing commands as real calls. Demo databases only (the caller checks).
 */

export type LiveTrafficParams = {
  callsPerDay: number;
  speed: number;
  agents: number;
  ahtSeconds: number;
  patienceSeconds: number | null;
  seed: number;
  durationMs: number;
};

export type LiveTrafficProgress = { offered: number; answered: number; abandoned: number; running: boolean };

const SIM_SKILLS = ['public_intake', 'partner_intake', 'analysis'];

export class LiveTraffic {
  private readonly random;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agents: string[] = [];
  private unsubscribe: (() => void) | undefined;
  private stopping = false;
  private arrivalsOpen = true;
  private count = 0;
  readonly progress: LiveTrafficProgress = { offered: 0, answered: 0, abandoned: 0, running: false };

  constructor(
    private readonly routing: RoutingService,
    private readonly params: LiveTrafficParams,
    private readonly ctx: () => RequestContext,
    private readonly onError: (error: unknown) => void,
    /** When given, callers dial the public line and go through call control and its IVR (the simulator adapter). */
    private readonly calls?: CallControl,
  ) {
    this.random = seededRandom(params.seed);
  }

  private later(ms: number, work: () => Promise<unknown>): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        work().catch((error) => this.onError(error));
      },
      Math.max(0, ms),
    );
    timer.unref();
    this.timers.add(timer);
  }

  private exponential(mean: number): number {
    return -Math.log(1 - this.random.next()) * mean;
  }

  async start(): Promise<void> {
    this.progress.running = true;
    this.unsubscribe = this.routing.subscribe((events) => this.onEvents(events));
    for (let i = 1; i <= this.params.agents; i++) {
      const id = `sim-agent-${String(i).padStart(3, '0')}`;
      this.agents.push(id);
      if (!this.routing.engine.worker(id)) {
        await this.routing.execute(
          {
            type: 'addWorker',
            worker: { id, attributes: { skills: SIM_SKILLS, languages: ['en', 'es'], unit: 'uac', synthetic: true }, activity: 'Offline' },
          },
          this.ctx(),
        );
      }
      await this.routing.execute({ type: 'setActivity', workerId: id, activity: 'Available' }, this.ctx());
    }
    this.scheduleArrival();
    this.later(this.params.durationMs, () => this.stop());
  }

  /** Stops new calls; agents finish what they hold, then go Offline. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.arrivalsOpen = false;
    // The synthetic callers still on the line hang up; agents then finish what they hold.
    await this.calls?.stop();
    await this.drainAgents();
  }

  private async drainAgents(): Promise<void> {
    const busy = this.agents.some((id) => {
      const w = this.routing.engine.worker(id);
      return w !== undefined && w.load.voice + w.load.work_item > 0;
    });
    if (busy) {
      this.later(1_000, () => this.drainAgents());
      return;
    }
    for (const id of this.agents) {
      if (this.routing.engine.worker(id)?.activity !== 'Offline')
        await this.routing.execute({ type: 'setActivity', workerId: id, activity: 'Offline' }, this.ctx());
    }
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.unsubscribe?.();
    this.progress.running = false;
  }

  private scheduleArrival(): void {
    if (!this.arrivalsOpen) return;
    const meanGapMs = 86_400_000 / this.params.callsPerDay / this.params.speed;
    this.later(this.exponential(meanGapMs), async () => {
      if (!this.arrivalsOpen) return;
      this.scheduleArrival();
      const id = `sim-call-${this.params.seed}-${++this.count}`;
      const roll = this.random.next();
      if (this.calls) {
        this.dial(id, roll);
        return;
      }
      const attributes = {
        language: this.random.chance(0.55) ? 'es' : 'en',
        synthetic: true,
        ...(roll < 0.15 ? { topic: 'uac' } : roll < 0.3 ? { caller: 'partner' } : {}),
      };
      await this.routing.execute({ type: 'createTask', task: { id, attributes, channel: 'voice' } }, this.ctx());
      this.progress.offered += 1;
      if (this.params.patienceSeconds !== null) {
        this.later(this.exponential((this.params.patienceSeconds * 1000) / this.params.speed), async () => {
          const status = this.routing.engine.task(id)?.status;
          if (status === 'pending' || status === 'reserved') {
            await this.routing.execute({ type: 'cancel', taskId: id, reason: 'abandoned' }, this.ctx());
            this.progress.abandoned += 1;
          }
        });
      }
    });
  }

  /** A synthetic caller on the public line: presses a language and a reason, waits, and gives up when their patience ends. */
  private dial(id: string, roll: number): void {
    const calls = this.calls;
    if (!calls) return;
    const language = this.random.chance(0.55) ? '2' : '1';
    const reason = roll < 0.15 ? '2' : roll < 0.3 ? '3' : '1';
    const number = `+1615555${String(Math.floor(this.random.next() * 10_000)).padStart(4, '0')}`;
    const leg = new SimulatedLeg(id, PUBLIC_LINE, number, this.params.speed, {
      keys: [
        { afterMs: 1_500 + this.random.next() * 2_000, digit: language },
        { afterMs: 6_000 + this.random.next() * 3_000, digit: reason },
      ],
    });
    const session = calls.accept(leg);
    this.progress.offered += 1;
    if (!session || this.params.patienceSeconds === null) return;
    this.later(this.exponential((this.params.patienceSeconds * 1000) / this.params.speed), async () => {
      const status = session.taskId ? this.routing.engine.task(session.taskId)?.status : undefined;
      if (!leg.ended && (status === undefined || status === 'pending' || status === 'reserved')) {
        leg.callerHangsUp();
        this.progress.abandoned += 1;
      }
    });
  }

  private onEvents(events: EngineEvent[]): void {
    for (const event of events) {
      if (event.type === 'reservation.created' && this.agents.includes(event.workerId)) {
        // A synthetic agent picks up after one to three seconds of ringing.
        this.later((1_000 + this.random.next() * 2_000) / this.params.speed, async () => {
          if (this.routing.engine.reservation(event.reservationId)?.status !== 'pending') return;
          await this.routing.execute({ type: 'accept', reservationId: event.reservationId }, this.ctx());
        });
      } else if (event.type === 'task.assigned' && this.agents.includes(event.workerId)) {
        this.progress.answered += 1;
        const talkMs = this.exponential(this.params.ahtSeconds * 1000) / this.params.speed;
        this.later(talkMs, async () => {
          if (this.routing.engine.task(event.taskId)?.status !== 'assigned') return;
          await this.routing.execute({ type: 'complete', taskId: event.taskId }, this.ctx());
        });
      } else if (event.type === 'task.wrapping' && this.agents.includes(event.workerId)) {
        // Wrap-up, however the call ended (the agent finished, or the caller hung up first).
        this.later(this.exponential(30_000) / this.params.speed, async () => {
          if (this.routing.engine.task(event.taskId)?.status === 'wrapping')
            await this.routing.execute({ type: 'finishWrapUp', taskId: event.taskId }, this.ctx());
        });
      }
    }
  }
}
