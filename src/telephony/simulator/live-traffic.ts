import { seededRandom } from '../../domain/demo/random.js';
import type { EngineEvent } from '../../domain/routing/engine-types.js';
import type { RequestContext } from '../../services/audit.service.js';
import type { RoutingService } from '../../services/routing.service.js';

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
          this.later(this.exponential(30_000) / this.params.speed, async () => {
            if (this.routing.engine.task(event.taskId)?.status === 'wrapping')
              await this.routing.execute({ type: 'finishWrapUp', taskId: event.taskId }, this.ctx());
          });
        });
      }
    }
  }
}
