import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type AddressPolicy, checkAddress } from '../domain/net/address-policy.js';
import { webhookUrlProblem } from '../domain/partner/webhook-signature.js';

/**
 * The one way Switchboard POSTs to a partner's URL. The URL is checked as it
 * was at registration (a URL stored before a rule tightened is refused too);
 * then the agents' `lookup` resolves the name at connect time and refuses the
 * connection if any address it resolves to is not public — the address checked
 * is the address connected to, so a name that changes its answer (DNS
 * rebinding) cannot slip past. An IP literal never reaches a resolver, so the
 * URL check covers it. Redirects are never followed: a 3xx is a failed
 * delivery, like any other non-2xx.
 */

/** Resolves a name to its addresses (all of them). Injected in tests; the system resolver otherwise. */
export type Resolve = (host: string) => Promise<string[]>;

export class RefusedDestination extends Error {
  override readonly name = 'RefusedDestination';
  readonly code = 'ERR_WEBHOOK_DESTINATION_REFUSED';
}

const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses.map((a) => a.address)),
    );
  });

const wantedFamily = (family: number | string | undefined): 0 | 4 | 6 => {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
};

/** A `lookup` for net.connect that answers only with addresses the policy allows, and refuses if any is not. */
export function guardedLookup(policy: AddressPolicy, resolve: Resolve = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new RefusedDestination(`${hostname} resolves to no address`);
        for (const address of addresses) {
          const verdict = checkAddress(address, policy);
          // One bad address refuses the name: the client may fall back to any of them.
          if (!verdict.allowed) throw new RefusedDestination(`${hostname} resolves to ${verdict.reason}`);
        }
        const family = wantedFamily(options.family);
        const entries: LookupAddress[] = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => entry.family !== 0 && (family === 0 || entry.family === family));
        const first = entries[0];
        if (!first) throw Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' });
        if (options.all) callback(null, entries);
        else callback(null, first.address, first.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}

export type WebhookTransportOptions = AddressPolicy & { resolve?: Resolve | undefined; timeoutMs?: number | undefined };

export class WebhookTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: WebhookTransportOptions) {
    const lookup = guardedLookup({ allowLoopback: options.allowLoopback }, options.resolve);
    // No keep-alive: every delivery resolves and checks its destination afresh.
    this.httpAgent = new http.Agent({ keepAlive: false, lookup });
    this.httpsAgent = new https.Agent({ keepAlive: false, lookup });
  }

  /** POSTs the body and answers the response's status; throws if the destination is refused or does not answer. */
  post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    const problem = webhookUrlProblem(url, this.options.allowLoopback);
    if (problem) return Promise.reject(new RefusedDestination(`the webhook URL ${problem}`));
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        },
        (response) => {
          // The status is the answer; the body (maybe large, maybe a redirect page) is not read.
          resolve(response.statusCode ?? 0);
          response.destroy();
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
