import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.js';
import { assertBuilt, baseEnv, CLI, freeHttpPort, type Running, run, stopLeftovers, waitForOutput } from '../support/processes.js';
import { freeSipPhonePorts, freeUdpPort, freeUdpRange, sipp } from '../support/telephony.js';

/**
 * `switchboard start --telephony` as a real process, configured as production is (HTTPS with a redirect port, the
 * edge with SIP over TLS and the default carrier access list): it starts Kamailio and rtpengine with the server, a
 * SIPp call through the edge is answered, one from outside the access list is refused and shows in /metrics, and
 * SIGTERM stops every one of them — no process of its data directory is left.
 */

/** GET over HTTPS (our self-signed certificate trusted) or plain HTTP; status, headers and body. */
function get(url: string, ca?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = url.startsWith('https:') ? https.get(url, { ca, agent: false }, done) : http.get(url, { agent: false }, done);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
}

let dataDir: string;
const children: Running[] = [];
const leftovers = () => {
  try {
    return execFileSync('pgrep', ['-f', `(kamailio|rtpengine) .*${dataDir}`], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-telephony-start-'));
});
afterAll(async () => {
  await stopLeftovers(dataDir, children);
  for (const pid of leftovers().split('\n').filter(Boolean)) process.kill(-Number(pid), 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('start --telephony', () => {
  it('starts the edge and the media server with the server, answers a call, and stops them all on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    const range = await freeUdpRange(200);
    const edgePort = await freeUdpPort();
    const tlsPort = (await freeSipPhonePorts()).control;
    const certificate = selfSignedCertificate();
    const port = await freeHttpPort();
    let redirectPort = await freeHttpPort();
    while (redirectPort === port) redirectPort = await freeHttpPort();
    const env = baseEnv({
      SWITCHBOARD_DATA_DIR: dataDir,
      PORT: String(port),
      HTTPS_CERT_FILE: certificate.cert,
      HTTPS_KEY_FILE: certificate.key,
      HTTP_REDIRECT_PORT: String(redirectPort),
      SIP_TLS_CERT_FILE: certificate.cert,
      SIP_TLS_KEY_FILE: certificate.key,
      SIP_EDGE_TLS_PORT: String(tlsPort),
      SIP_EDGE_PORT: String(edgePort),
      SIP_NODE_PORT: String(await freeUdpPort()),
      RTPENGINE_NG_PORT: String(await freeUdpPort()),
      RTP_PORT_MIN: String(range.min),
      RTP_PORT_MAX: String(range.max),
    });
    const server = run(CLI, ['start', '--telephony'], env);
    children.push(server);
    await waitForOutput(server, 'stderr', /ready: https/, 150_000).catch(async (error) => {
      throw new Error(`${String(error)}\n${server.stdout().slice(-2_000)}\n${server.stderr().slice(-2_000)}`);
    });
    expect(server.stderr()).toMatch(
      new RegExp(
        `SIP edge on udp and tcp 127\\.0\\.0\\.1:${edgePort}, tls 127\\.0\\.0\\.1:${tlsPort}; carrier trunks from 127\\.0\\.0\\.1/32 \\(lines [^)]*\\+16155550100`,
      ),
    );
    expect(leftovers().split('\n').length).toBeGreaterThanOrEqual(2); // Kamailio and rtpengine, run from this data directory
    const call = await sipp('caller-hangs-up.xml', `127.0.0.1:${edgePort}`, { service: '+16155550102', holdMs: 2_000 });
    expect(call.code, call.stdout.slice(-1_500)).toBe(0);
    const refused = await sipp('caller-refused.xml', `127.0.0.1:${edgePort}`, {
      service: '+16155550102',
      localIp: '127.0.0.2',
      timeoutS: 20,
    });
    expect(refused.code, refused.stdout.slice(-1_500)).toBe(0);
    // HTTPS: the metric an operator watches, with HSTS; the plain port only redirects there.
    const ca = readFileSync(certificate.cert);
    const metrics = await get(`https://127.0.0.1:${port}/metrics`, ca);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(metrics.body).toMatch(/^switchboard_sip_edge_refused_calls_total 1$/m);
    const redirected = await get(`http://127.0.0.1:${redirectPort}/healthz`);
    expect(redirected.status).toBe(301);
    expect(redirected.headers.location).toBe(`https://127.0.0.1:${port}/healthz`);
    server.child.kill('SIGTERM');
    const exited = await server.exited;
    expect(exited.code).toBe(0);
    expect(leftovers()).toBe('');
  });
});
