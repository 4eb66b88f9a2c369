import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookUrlProblem } from '../../src/domain/partner/webhook-signature.js';
import { deriveKeys, encrypt } from '../../src/services/keys.js';
import { deliverWebhooks } from '../../src/services/webhook.service.js';
import { loadTestAgencies } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Webhook deliveries cannot be turned against the center's own network. A
 * partner registers a public name, and later points it at loopback (DNS
 * rebinding): the connection's own lookup refuses it, so nothing ever connects
 * — a loopback listener counts every connection it gets. URLs stored before
 * the rules tightened (an IPv4-mapped literal) are refused before connecting,
 * redirects are never followed, and development may reach this machine but
 * never a private network. Network on loopback only; names resolve through an
 * injected resolver.
 */

const AGENCY = 'TX0312100';
const NOW = new Date('2026-11-29T15:00:00Z');

let db: TestDatabase;
const keys = deriveKeys(randomBytes(32));
// Stands in for any service on the center's machine: it must never see a connection it was not meant to.
let sentinel: Server;
let sentinelPort: number;
let sentinelConnections = 0;
// A receiver for development deliveries, and where its redirect points.
let receiver: HttpServer;
let receiverPort: number;
const receivedPaths: string[] = [];
let redirectTarget: HttpServer;
let redirectTargetPort: number;
let redirectTargetHits = 0;

const listen = async <T extends Server | HttpServer>(server: T): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  db = await createTestDatabase();
  await loadTestAgencies(db);
  sentinel = createServer((socket) => {
    sentinelConnections += 1;
    socket.destroy();
  });
  sentinelPort = await listen(sentinel);
  redirectTarget = createHttpServer((req, res) => {
    redirectTargetHits += 1;
    req.resume();
    res.end('ok');
  });
  redirectTargetPort = await listen(redirectTarget);
  receiver = createHttpServer((req, res) => {
    receivedPaths.push(req.url ?? '');
    req.resume();
    if (req.url === '/moved') {
      res.writeHead(302, { location: `http://127.0.0.1:${redirectTargetPort}/elsewhere` }).end();
      return;
    }
    res.writeHead(204).end();
  });
  receiverPort = await listen(receiver);
});

afterAll(async () => {
  await new Promise((resolve) => sentinel.close(resolve));
  await new Promise((resolve) => receiver.close(resolve));
  await new Promise((resolve) => redirectTarget.close(resolve));
  await db.drop();
});

beforeEach(async () => {
  await db.db.deleteFrom('webhook_deliveries').execute();
  sentinelConnections = 0;
  receivedPaths.length = 0;
  redirectTargetHits = 0;
});

/** The agency's webhook as stored (registration is bypassed on purpose: a URL stored before the rules tightened). */
async function pendingDelivery(url: string): Promise<string> {
  const row = { agency_ori: AGENCY, url, secret_enc: encrypt(keys, 'whsec_test'), updated_at: NOW };
  await db.db
    .insertInto('agency_webhooks')
    .values(row)
    .onConflict((oc) => oc.column('agency_ori').doUpdateSet(row))
    .execute();
  const delivery = await db.db
    .insertInto('webhook_deliveries')
    .values({
      agency_ori: AGENCY,
      event: 'submission.status',
      body: JSON.stringify({ event: 'submission.status', status: 'accepted' }),
      status: 'pending',
      next_attempt_at: NOW,
      created_at: NOW,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return delivery.id;
}

const deliveryRow = (id: string) =>
  db.db.selectFrom('webhook_deliveries').select(['status', 'attempts', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow();

describe('webhook destinations, checked at connect time', () => {
  it('refuses a public name that resolves to loopback: nothing connects', async () => {
    const url = `https://rms.partner.example:${sentinelPort}/hook`;
    // It passed registration: the name says nothing about where it points.
    expect(webhookUrlProblem(url, false)).toBeUndefined();
    const id = await pendingDelivery(url);
    const asked: string[] = [];
    const counts = await deliverWebhooks(
      {
        db: db.db,
        keys,
        lookup: async (host) => {
          asked.push(host);
          return ['127.0.0.1'];
        },
      },
      NOW,
    );
    expect(asked).toEqual(['rms.partner.example']);
    expect(counts).toEqual({ delivered: 0, failed: 1, dead: 0 });
    expect(sentinelConnections).toBe(0);
    expect(await deliveryRow(id)).toEqual({ status: 'pending', attempts: 1, last_error: 'no response' });
  });

  it('refuses a name when any of its addresses is internal, whichever the client would try first', async () => {
    for (const addresses of [
      ['93.184.215.14', '127.0.0.1'],
      ['::ffff:127.0.0.1'],
      ['2606:4700:4700::1111', '::1'],
      ['100.64.0.1'],
      ['169.254.169.254'],
    ]) {
      const id = await pendingDelivery(`https://rms.partner.example:${sentinelPort}/hook`);
      const counts = await deliverWebhooks({ db: db.db, keys, lookup: async () => addresses }, NOW);
      expect(counts.failed, addresses.join(' ')).toBe(1);
      expect((await deliveryRow(id)).last_error).toBe('no response');
    }
    expect(sentinelConnections).toBe(0);
  });

  it('refuses stored IP literals of this machine in every spelling, before any connection or lookup', async () => {
    for (const host of [
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      'localhost.',
      '[::1]',
    ]) {
      const id = await pendingDelivery(`https://${host}:${sentinelPort}/hook`);
      let asked = 0;
      const counts = await deliverWebhooks(
        {
          db: db.db,
          keys,
          lookup: async () => {
            asked += 1;
            return ['127.0.0.1'];
          },
        },
        NOW,
      );
      expect(counts.failed, host).toBe(1);
      expect(asked, host).toBe(0);
      expect((await deliveryRow(id)).last_error).toBe('no response');
    }
    expect(sentinelConnections).toBe(0);
  });

  it('in development reaches this machine, through the same checked lookup', async () => {
    const id = await pendingDelivery(`http://localhost:${receiverPort}/hook`);
    const asked: string[] = [];
    const counts = await deliverWebhooks(
      {
        db: db.db,
        keys,
        allowLoopback: true,
        lookup: async (host) => {
          asked.push(host);
          return ['127.0.0.1'];
        },
      },
      NOW,
    );
    expect(counts).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(asked).toEqual(['localhost']);
    expect(receivedPaths).toEqual(['/hook']);
    expect(await deliveryRow(id)).toMatchObject({ status: 'delivered', last_error: null });
  });

  it('in development still refuses a private network and a metadata address', async () => {
    for (const addresses of [['10.0.0.7'], ['169.254.169.254'], ['127.0.0.1', '192.168.1.1']]) {
      const id = await pendingDelivery(`http://localhost:${receiverPort}/hook`);
      const counts = await deliverWebhooks({ db: db.db, keys, allowLoopback: true, lookup: async () => addresses }, NOW);
      expect(counts.failed, addresses.join(' ')).toBe(1);
      expect((await deliveryRow(id)).last_error).toBe('no response');
    }
    expect(receivedPaths).toEqual([]);
  });

  it('in production refuses this machine even by its own name', async () => {
    const id = await pendingDelivery(`http://localhost:${receiverPort}/hook`);
    const counts = await deliverWebhooks({ db: db.db, keys, lookup: async () => ['127.0.0.1'] }, NOW);
    expect(counts.failed).toBe(1);
    expect(receivedPaths).toEqual([]);
    expect((await deliveryRow(id)).status).toBe('pending');
  });

  it('never follows a redirect: a 3xx is a failed attempt', async () => {
    const id = await pendingDelivery(`http://127.0.0.1:${receiverPort}/moved`);
    const counts = await deliverWebhooks({ db: db.db, keys, allowLoopback: true }, NOW);
    expect(counts.failed).toBe(1);
    expect(receivedPaths).toEqual(['/moved']);
    expect(redirectTargetHits).toBe(0);
    expect(await deliveryRow(id)).toEqual({ status: 'pending', attempts: 1, last_error: 'HTTP 302' });
  });
});
