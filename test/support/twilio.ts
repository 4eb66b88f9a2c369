import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CALLBACK_POLICY } from '../../src/domain/callbacks/callback-policy.js';
import type { Flow } from '../../src/domain/ivr/flow.js';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { CallbackService } from '../../src/services/callback.service.js';
import type { RoutingService } from '../../src/services/routing.service.js';
import { TwilioCalls } from '../../src/telephony/adapters/twilio.js';
import { CallControl } from '../../src/telephony/call-control.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { PromptLibrary } from '../../src/telephony/media/prompts.js';
import type { TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import { waitUntil } from './processes.js';

/**
 * Twilio, as its documentation describes the wire: webhooks signed as Twilio signs them (HMAC-SHA1 over the full
 * URL followed by each POST parameter's name and value, sorted by name, base64) — computed here from the
 * documentation, not with the library the server uses — and a local stand-in for its REST API that records each
 * request: POST …/Accounts/{AccountSid}/Calls/{CallSid}.json (new TwiML for a call), POST
 * …/Conferences/{FriendlyName}/Participants.json (a participant dialed into a room; the answer carries its
 * call_sid), POST and DELETE …/Participants/{CallSid or Label}.json (update, remove); Basic auth, form bodies.
 */

export const TWILIO_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const TWILIO_BASE_URL = 'https://switchboard.example.gov';
export const TWILIO_ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const INTERPRETER_NUMBER = '+18005550199';

export type RestCall = { method: string; path: string; auth: string; params: URLSearchParams; twiml: string };

export type TwilioStandIn = {
  url: string;
  calls: RestCall[];
  /** Waits for `n` requests after the `from`-th (default: the last `n`) and returns them. */
  waitFor: (n: number, from?: number) => Promise<RestCall[]>;
  close: () => Promise<void>;
};

export async function startTwilioStandIn(): Promise<TwilioStandIn> {
  const calls: RestCall[] = [];
  let legs = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      calls.push({
        method: req.method ?? '',
        path: decodeURIComponent(req.url ?? ''),
        auth: req.headers.authorization ?? '',
        params,
        twiml: params.get('Twiml') ?? '',
      });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'DELETE') {
        res.statusCode = 204;
        res.end();
      } else if (/\/Participants\.json$/.test(req.url ?? '')) {
        legs += 1;
        res.statusCode = 201;
        res.end(JSON.stringify({ call_sid: `CA${String(900 + legs).padStart(32, '0')}`, label: params.get('Label'), status: 'queued' }));
      } else res.end(JSON.stringify({ sid: 'CA-updated', status: 'in-progress' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    waitFor: async (n, from = calls.length - n) => {
      await waitUntil(`${n} REST requests`, () => calls.length >= from + n, 5_000);
      return calls.slice(from, from + n);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * buildTestApp's `twilio` option: the adapter with the public line's flows, the stand-in's REST API, an interpreter
 * line. `flows`: the flow map the adapter reads (as the admin console's versions change it); default its own.
 */
export function twilioAdapter(db: TestDatabase, restUrl: string, options: { flows?: Map<string, Flow> } = {}) {
  const loaded = loadFlows(path.resolve('reference/ivr'));
  const flows = options.flows ?? loaded.flows;
  const catalog = loaded.prompts;
  const prompts = new PromptLibrary(catalog, mkdtempSync(path.join(tmpdir(), 'sb-twilio-prompts-')));
  return (routing: RoutingService, clock: () => Date) => {
    const common = { routing, prompts, flows, node: 'twilio-test', clock, timeZone: 'America/Chicago' };
    const control = new CallControl({ ...common, calls: new CallRecordService(db.db, routing), log: () => undefined });
    const callbacks = new CallbackService({ db: db.db, routing, policy: DEFAULT_CALLBACK_POLICY });
    const calls = new TwilioCalls({
      ...common,
      calls: new CallRecordService(db.db, routing, { callbacks }),
      callbacks,
      validators: control.validators,
      rest: {
        accountSid: TWILIO_ACCOUNT_SID,
        authToken: TWILIO_AUTH_TOKEN,
        apiBaseUrl: restUrl,
        agentSipDomain: 'agents.sip.example.gov',
        webhookBaseUrl: TWILIO_BASE_URL,
      },
      interpreter: { number: INTERPRETER_NUMBER, callerId: '+16155550100' },
      outbound: { callerId: '+16155550100', allow: [/^\+1615555\d{4}$/], ringSeconds: 25 },
    });
    calls.start();
    return { config: { authToken: TWILIO_AUTH_TOKEN, baseUrl: TWILIO_BASE_URL }, calls };
  };
}

/** Twilio's documented algorithm: https://www.twilio.com/docs/usage/security#validating-requests */
export function signTwilio(url: string, params: Record<string, string>, token = TWILIO_AUTH_TOKEN): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** A webhook as Twilio sends it (signed, unless `signature` is null or given). */
export const postTwilio = (t: TestApp, pathAndQuery: string, params: Record<string, string>, signature?: string | null) =>
  t.app.inject({
    method: 'POST',
    url: pathAndQuery,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature === null ? {} : { 'x-twilio-signature': signature ?? signTwilio(`${TWILIO_BASE_URL}${pathAndQuery}`, params) }),
    },
    payload: new URLSearchParams(params).toString(),
  });

export const callSid = (n: number) => `CA${String(n).padStart(32, '0')}`;

/** A call's webhook parameters: from a synthetic caller to the public line. */
export const twilioParams = (n: number, extra: Record<string, string> = {}) => ({
  CallSid: callSid(n),
  AccountSid: `AC${'1'.repeat(32)}`,
  From: '+16155550177',
  To: '+16155550100',
  CallStatus: 'in-progress',
  Direction: 'inbound',
  ...extra,
});
