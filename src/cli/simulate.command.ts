import { type SimulationOptions, type SimulationResult, simulate } from '../domain/routing/simulator.js';

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
