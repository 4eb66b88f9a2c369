import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../storage/database.js';
import { packageRoot } from '../storage/paths.js';
import { CallControl } from '../telephony/call-control.js';
import { loadFlows } from '../telephony/ivr-flows.js';
import { SpokenTextPrompts } from '../telephony/media/prompts.js';
import { LiveTraffic } from '../telephony/simulator/live-traffic.js';
import type { RequestContext } from './audit.service.js';
import { CallRecordService } from './call-record.service.js';
import { readDemoMarker } from './demo-seed.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * Picks up `switchboard simulate --live` requests (rows in simulation_runs)
 * in the server that owns the routing engine, runs them with the simulator
 * telephony adapter, and writes progress back. Refuses on a database that is
 * not a demo database: synthetic traffic never mixes with real calls.
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

export class SimulationControl {
  private timer: NodeJS.Timeout | undefined;
  private current: { id: string; traffic: LiveTraffic } | undefined;
  private busy = false;

  constructor(
    private readonly db: Db,
    private readonly routing: RoutingService,
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
      const row = await this.db.selectFrom('simulation_runs').select('status').where('id', '=', id).executeTakeFirst();
      if (row?.status === 'stop-requested') await traffic.stop();
      const finished = !traffic.progress.running;
      await this.db
        .updateTable('simulation_runs')
        .set({ progress: JSON.stringify(traffic.progress), ...(finished ? { status: 'finished' as const } : {}), updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      if (finished) this.current = undefined;
      return;
    }
    const request = await this.db
      .selectFrom('simulation_runs')
      .selectAll()
      .where('status', '=', 'requested')
      .orderBy('requested_at')
      .limit(1)
      .executeTakeFirst();
    if (!request) return;
    const refuse = (reason: string) =>
      this.db
        .updateTable('simulation_runs')
        .set({ status: 'refused', reason, updated_at: new Date() })
        .where('id', '=', request.id)
        .execute();
    if (!(await readDemoMarker(this.db))) {
      await refuse('this is not a demo database: synthetic traffic would mix with real calls');
      return;
    }
    const params = LiveParams.safeParse(request.params);
    if (!params.success) {
      await refuse(`invalid parameters: ${params.error.issues[0]?.message ?? 'unknown'}`);
      return;
    }
    // Synthetic callers go through call control and the real IVR flows (words, not sound: the simulator has no media).
    const { flows, prompts } = loadFlows(path.join(packageRoot(), 'reference', 'ivr'));
    const calls = new CallControl({
      calls: new CallRecordService(this.db, this.routing),
      routing: this.routing,
      prompts: new SpokenTextPrompts(prompts),
      flows,
      node: 'simulator',
      clock: () => new Date(),
      timeZone: this.timeZone,
      log: () => undefined,
    });
    calls.start();
    const traffic = new LiveTraffic(
      this.routing,
      params.data,
      this.context,
      (error) => this.log('live simulation step failed', error),
      calls,
    );
    this.current = { id: request.id, traffic };
    await this.db.updateTable('simulation_runs').set({ status: 'running', updated_at: new Date() }).where('id', '=', request.id).execute();
    await traffic.start();
  }
}
