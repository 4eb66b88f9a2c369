import os from 'node:os';
import { type SimulationOptions, type SimulationResult, simulate } from '../domain/routing/simulator.js';
import {
  readSimulationRun,
  refuseUnclaimedSimulation,
  requestLiveSimulation,
  requestSimulationStop,
} from '../services/simulation-control.js';
import type { LiveTrafficParams } from '../telephony/simulator/live-traffic.js';
import type { Storage } from './storage-runtime.js';

const pct = (v: number | null): string => (v === null ? '   –' : `${(v * 100).toFixed(1).padStart(5)}%`);
const secs = (v: number | null): string => (v === null ? '    –' : `${v.toFixed(1).padStart(6)}s`);

export function runSimulation(options: Omit<SimulationOptions, 'progress'>, output: { json: boolean }): SimulationResult {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const result = simulate({
    ...options,
    progress: (done) => {
      if (!tty) return;
      const width = 30;
      const filled = Math.round(done * width);
      process.stderr.write(`\rsimulating [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(done * 100)}%`);
      if (done >= 1) process.stderr.write('\n');
    },
  });
  const elapsed = (performance.now() - started) / 1000;
  if (output.json) {
    process.stdout.write(`${JSON.stringify({ ...result, options, elapsedSeconds: Number(elapsed.toFixed(3)) })}\n`);
    return result;
  }
  const lines = ['interval      offered  answered  abandoned  service level     ASA'];
  for (const i of result.intervals) {
    if (i.offered === 0 && i.answered === 0) continue;
    lines.push(
      `${i.start.padEnd(12)} ${String(i.offered).padStart(8)} ${String(i.answered).padStart(9)} ${String(i.abandoned).padStart(10)}  ${pct(i.serviceLevel).padStart(13)} ${secs(i.asa)}`,
    );
  }
  lines.push(
    '',
    `offered ${result.offered}, answered ${result.answered}, abandoned ${result.abandoned} (${pct(result.abandonRate).trim()})`,
    `service level ${pct(result.serviceLevel).trim()} within ${options.thresholdSeconds} s, ASA ${secs(result.asa).trim()}, AHT ${secs(result.aht).trim()}, occupancy ${pct(result.occupancy).trim()}`,
    `${options.shifts ? `${options.shifts.length} shifts (${options.shifts.map((s) => `${s.start}–${s.end} × ${s.agents}`).join(', ')})` : `${options.agents} agents around the clock`}, ${options.days} day(s), seed ${options.seed}; simulated in ${elapsed.toFixed(2)} s`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return result;
}

export type LiveOptions = Omit<LiveTrafficParams, 'durationMs'> & { minutes: number };

/**
 * `simulate --live`: asks the running Switchboard (through its database) to run
 * synthetic traffic on its real routing engine, and follows the run until it
 * ends or Ctrl-C stops it. Demo databases only; the server refuses otherwise.
 */
export async function runLive(storage: Storage, options: LiveOptions, print: (line: string) => void): Promise<number> {
  if (storage.embeddedOrigin && storage.embeddedOrigin !== 'attached') {
    print('no Switchboard is running on this data directory: start it (npm start), then run simulate --live again');
    return 1;
  }
  const db = storage.handle.db;
  const params = {
    callsPerDay: options.callsPerDay,
    speed: options.speed,
    agents: options.agents,
    ahtSeconds: options.ahtSeconds,
    patienceSeconds: options.patienceSeconds,
    seed: options.seed,
    durationMs: Math.round(options.minutes * 60_000),
  };
  const runId = await requestLiveSimulation(db, `cli:${os.userInfo().username}`, params);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  const deadline = Date.now() + params.durationMs + 120_000;
  let lastLine = '';
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const run = await readSimulationRun(db, runId);
      if (!run) throw new Error(`simulation run ${runId} disappeared`);
      if (run.status === 'refused') {
        print(`refused: ${run.reason ?? ''}`);
        return 1;
      }
      if (run.status === 'requested' && Date.now() - run.requested_at.getTime() > 15_000) {
        await refuseUnclaimedSimulation(db, runId, new Date());
        print('no running Switchboard picked the request up within 15 s; is it running on this database?');
        return 1;
      }
      const p = run.progress as { offered?: number; answered?: number; abandoned?: number };
      const line = `${run.status}: offered ${p.offered ?? 0}, answered ${p.answered ?? 0}, abandoned ${p.abandoned ?? 0}`;
      if (line !== lastLine) print(line);
      lastLine = line;
      if (run.status === 'finished') return 0;
      if ((interrupted || Date.now() > deadline) && run.status === 'running') {
        await requestSimulationStop(db, runId, new Date());
        interrupted = false;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}
