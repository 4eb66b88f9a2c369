import { createServer, type Server } from 'node:http';

/**
 * The plain-HTTP listener of an HTTPS deployment (HTTP_REDIRECT_PORT): it serves nothing, it only sends each request to
 * the same path at PUBLIC_URL — 301 for GET and HEAD, 308 otherwise (the method and body kept). The target comes from
 * the configuration, never from the request's Host header, so it cannot be made to redirect anywhere else.
 */
export async function startHttpsRedirect(o: { host: string; port: number; publicUrl: string }): Promise<Server> {
  const origin = new URL(o.publicUrl).origin;
  const server = createServer((request, response) => {
    const target = `${origin}${(request.url ?? '/').startsWith('/') ? request.url : '/'}`;
    response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 301 : 308, {
      location: target,
      'cache-control': 'no-store',
      'content-length': '0',
      connection: 'close',
    });
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function stopHttpsRedirect(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
