import { createSocket } from 'node:dgram';
import { parseMessage, randomToken } from './message.js';

/** Sends one SIP OPTIONS and resolves true if any final response comes back in time (a liveness probe). */
export function sipPing(target: { host: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('message', (msg) => {
      const parsed = parseMessage(msg);
      if (parsed.ok && parsed.message.kind === 'response' && parsed.message.status >= 200) done(true);
    });
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      const callId = `${randomToken(8)}@127.0.0.1`;
      const request = [
        `OPTIONS sip:${target.host}:${target.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomToken(8)};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=${randomToken(4)}`,
        `To: <sip:${target.host}:${target.port}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, target.port, target.host);
    });
  });
}
