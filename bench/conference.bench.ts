import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Conference } from '../src/telephony/media/conference.js';

/**
 * What the conference bridge (src/telephony/media/conference.ts) costs: N conferences of three parties each (a
 * caller, an agent, a supervisor or interpreter), every party fed 50 G.711 packets a second from a loopback socket
 * that also takes the mix back, for a bounded time. Prints the CPU the process spent per conference (as a share of
 * one core), with a baseline in the same process: the same sockets sending and receiving the same packets with no
 * conference in between (an echo), so the ratio is what mixing adds to moving the packets at all.
 *
 * npm run bench:conference [-- --conferences 20 --seconds 10]
 */

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONFERENCES = Math.min(200, arg('conferences', 20));
const SECONDS = Math.min(60, arg('seconds', 10));
const PARTIES = ['caller', 'agent', 'supervisor'];

function rtp(seq: number): Buffer {
  const b = Buffer.alloc(172);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(0x1234, 8);
  for (let i = 12; i < 172; i++) b[i] = (i * 7) & 0xff;
  return b;
}

/** Feeds every target 50 packets a second for SECONDS; returns CPU microseconds spent and packets received back. */
async function drive(
  targets: { port: number }[],
  echoes: ReturnType<typeof createSocket>[] = [],
): Promise<{ cpuUs: number; back: number; sent: number }> {
  const feeders = await Promise.all(
    targets.map(async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      return s;
    }),
  );
  let back = 0;
  let sent = 0;
  for (const f of feeders) f.on('message', () => back++);
  const start = process.cpuUsage();
  const began = performance.now();
  let seq = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      seq += 1;
      const packet = rtp(seq);
      feeders.forEach((f, i) => {
        f.send(packet, targets[i]?.port as number, '127.0.0.1');
        sent += 1;
      });
      if (performance.now() - began >= SECONDS * 1_000) resolve();
      else setTimeout(tick, Math.max(0, began + seq * 20 - performance.now()));
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 200));
  const used = process.cpuUsage(start);
  for (const s of [...feeders, ...echoes]) s.close();
  return { cpuUs: used.user + used.system, back, sent };
}

async function main(): Promise<void> {
  // Baseline: a socket per party that sends back what it gets (what the conference would, unmixed).
  const echoes = await Promise.all(
    Array.from({ length: CONFERENCES * PARTIES.length }, async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      s.on('message', (m, from) => s.send(m, from.port, from.address));
      return s;
    }),
  );
  const baseline = await drive(
    echoes.map((s) => ({ port: s.address().port })),
    echoes,
  );
  const conferences: Conference[] = [];
  const ports: { port: number }[] = [];
  for (let c = 0; c < CONFERENCES; c++) {
    const conf = new Conference();
    for (const p of PARTIES) ports.push({ port: (await conf.add(p)).port });
    conf.setHearing({ caller: ['agent', 'supervisor'], agent: ['caller', 'supervisor'], supervisor: ['caller', 'agent'] });
    conferences.push(conf);
  }
  const mixed = await drive(ports);
  for (const c of conferences) await c.close();
  const share = (cpuUs: number) => cpuUs / (SECONDS * 1_000_000);
  console.log(`conference bridge: ${CONFERENCES} conferences × ${PARTIES.length} parties, ${SECONDS} s, 50 packets/s per party`);
  console.log(`  echo baseline: ${(share(baseline.cpuUs) * 100).toFixed(1)} % of a core (${baseline.back}/${baseline.sent} packets back)`);
  console.log(`  mixed:         ${(share(mixed.cpuUs) * 100).toFixed(1)} % of a core (${mixed.back}/${mixed.sent} packets back)`);
  console.log(
    `  per conference: ${((share(mixed.cpuUs) / CONFERENCES) * 100).toFixed(2)} % of a core (baseline ${((share(baseline.cpuUs) / CONFERENCES) * 100).toFixed(2)} %); mixed/baseline ${(mixed.cpuUs / baseline.cpuUs).toFixed(2)}`,
  );
  console.log(`  conferences one core could mix (CPU alone): ${Math.floor(1 / (share(mixed.cpuUs) / CONFERENCES))}`);
}

void main();
