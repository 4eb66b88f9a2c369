import { z } from 'zod';
import type { Db } from '../storage/database.js';
import {
  findSimulationRun,
  insertSimulationRequest,
  nextRequestedSimulation,
  setSimulationProgress,
  setSimulationStatus,
} from '../storage/repositories/simulation.repository.js';
import type { RequestContext } from './audit.service.js';
import { readDemoMarker } from './demo-seed.service.js';

/**
 * Picks up `switchboard simulate --live` requests (rows in simulation_runs)
 * in the server that owns the routing engine, runs them with the simulator
 * telephony adapter, and writes progress back. Refuses on a database that is
 * not a demo database: synthetic traffic never mixes with real calls.
 *
 * The traffic itself (synthetic callers through call control and the IVR) is telephony's: the composition root passes
 * a factory for it, so this service imports no telephony code.
 */

export const LiveParams = z.strictObject({
  callsPerDay: z.number().int().min(1).max(1_000_000),
  speed: z.number().min(0.1).max(100),
  agents: z.number().int().min(1).max(200),
  ahtSeconds: z.number().min(1).max(7200),
  patienceSeconds: z.number().min(1).max(7200).nullable(),
  seed: z.number().int().min(0),
  durationMs: z.number().int().min(1_000).max(3_600_000),
});

export type LiveParamsValue = z.infer<typeof LiveParams>;

/** One run of live synthetic traffic, made but not yet started. */
export type LiveTrafficRun = {
  readonly progress: { offered: number; answered: number; abandoned: number; running: boolean };
  start(): Promise<void>;
  stop(): Promise<void>;
};

export type StartLiveTrafficInput = {
  params: LiveParamsValue;
  context: () => RequestContext;
  onError: (error: unknown) => void;
};

/** Makes live traffic on the routing engine (supplied by the composition root: telephony/simulator). */
export type LiveTrafficFactory = (input: StartLiveTrafficInput) => LiveTrafficRun;

export class SimulationControl {
  private timer: NodeJS.Timeout | undefined;
  private current: { id: string; traffic: LiveTrafficRun } | undefined;
  private busy = false;

  constructor(
    private readonly db: Db,
    private readonly makeTraffic: LiveTrafficFactory,
    private readonly log: (message: string, error?: unknown) => void,
    private readonly timeZone: string,
  ) {}

  start(intervalMs = 1_000): void {
    this.timer ??= setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.poll()
        .catch((error) => this.log('live simulation control failed', error))
        .finally(() => {
          this.busy = false;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.current) await this.current.traffic.stop();
  }

  private context = (): RequestContext => ({
    actor: null,
    system: 'simulator',
    sourceIp: null,
    requestId: null,
    now: new Date(),
    timeZone: this.timeZone,
  });

  async poll(): Promise<void> {
    if (this.current) {
      const { id, traffic } = this.current;
      const row = await findSimulationRun(this.db, id);
      if (row?.status === 'stop-requested') await traffic.stop();
      const finished = !traffic.progress.running;
      await setSimulationProgress(this.db, id, traffic.progress, finished, new Date());
      if (finished) this.current = undefined;
      return;
    }
    const request = await nextRequestedSimulation(this.db);
    if (!request) return;
    const refuse = (reason: string) => setSimulationStatus(this.db, request.id, { status: 'refused', reason }, new Date());
    if (!(await readDemoMarker(this.db))) {
      await refuse('this is not a demo database: synthetic traffic would mix with real calls');
      return;
    }
    const params = LiveParams.safeParse(request.params);
    if (!params.success) {
      await refuse(`invalid parameters: ${params.error.issues[0]?.message ?? 'unknown'}`);
      return;
    }
    const traffic = this.makeTraffic({
      params: params.data,
      context: this.context,
      onError: (error) => this.log('live simulation step failed', error),
    });
    this.current = { id: request.id, traffic };
    await setSimulationStatus(this.db, request.id, { status: 'running' }, new Date());
    await traffic.start();
  }
}

/** A `simulate --live` request from the command line; a running server picks it up. Its id. */
export const requestLiveSimulation = (db: Db, requestedBy: string, params: LiveParamsValue): Promise<string> =>
  insertSimulationRequest(db, requestedBy, params);

export const readSimulationRun = (db: Db, id: string) => findSimulationRun(db, id);

/** No server picked the request up: it is refused, so a server starting later does not run it unasked. */
export const refuseUnclaimedSimulation = (db: Db, id: string, now: Date) =>
  setSimulationStatus(db, id, { status: 'refused', reason: 'no server picked the request up' }, now);

export const requestSimulationStop = (db: Db, id: string, now: Date) => setSimulationStatus(db, id, { status: 'stop-requested' }, now);
