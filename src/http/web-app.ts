import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the built web app (dist/web) for every GET that is not the API: the
 * hashed files under /assets/ (cached for good), index.html for anything else
 * (the app routes itself), with a strict Content-Security-Policy. Public by
 * nature — the app holds no data; everything it shows comes through the
 * guarded API. Source maps are neither built nor served.
 */

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The app's pages: only their own scripts and styles, never in a frame. Media may also come from `blob:` URLs, which
 * only the page's own script makes: the case page fetches a recording (so a refusal is said in words), then plays it.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const NOT_WEB = /^\/(api|healthz|readyz|metrics)(\/|$)/;

export type WebApp = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/**
 * `connect`: origins the page may also connect to — the SIP edge's WebSocket, where the agent desktop's softphone
 * registers (a ws:// or wss:// origin; nothing else is added).
 */
export function webApp(dir: string, connect: string[] = []): WebApp {
  const policy =
    connect.length === 0
      ? CONTENT_SECURITY_POLICY
      : CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${connect.join(' ')}`);
  const indexPath = path.join(dir, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath) : undefined;
  return async (request, reply) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || NOT_WEB.test(request.url)) return false;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return false;
    }
    reply.header('content-security-policy', policy);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (urlPath.startsWith('/assets/')) {
      const name = path.basename(urlPath);
      const type = TYPES[path.extname(name)];
      if (!type || name !== urlPath.slice('/assets/'.length)) return false;
      const content = await readFile(path.join(dir, 'assets', name)).catch(() => undefined);
      if (!content) return false;
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      reply.status(200).type(type).send(content);
      return true;
    }
    if (!index) {
      reply.status(503).type('text/plain; charset=utf-8').send('The web app is not built: run npm run build.');
      return true;
    }
    reply.status(200).type('text/html; charset=utf-8').send(index);
    return true;
  };
}
