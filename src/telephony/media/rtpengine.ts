import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * A client of rtpengine's ng control protocol: bencoded dictionaries over
 * UDP, each prefixed by a cookie that its answer repeats. Requests are sent
 * again once if no answer comes (UDP), and an answer with result "error"
 * rejects with rtpengine's reason. Only loopback in development and tests.
 */

export type Bencodable = string | number | Buffer | Bencodable[] | { [key: string]: Bencodable | undefined };

export function bencode(value: Bencodable): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('bencode: integers only');
    return Buffer.from(`i${value}e`);
  }
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k] as Bencodable)]), Buffer.from('e')]);
}

export type Decoded = string | number | Decoded[] | { [key: string]: Decoded };

/** Decodes bencode (strings as UTF-8); throws on malformed input, with a depth limit. */
export function bdecode(buf: Buffer): Decoded {
  return bdecodeAt(buf, 0).value;
}

/** Decodes the one bencoded value that starts at `start`, and says where it ends (a stream holds several, unframed). */
export function bdecodeAt(buf: Buffer, start: number): { value: Decoded; end: number } {
  let i = start;
  const read = (depth: number): Decoded => {
    if (depth > 32) throw new Error('bencode: too deep');
    const c = buf[i];
    if (c === 0x69) {
      const end = buf.indexOf(0x65, i);
      if (end < 0) throw new Error('bencode: unterminated integer');
      const n = Number(buf.subarray(i + 1, end).toString());
      i = end + 1;
      return n;
    }
    if (c === 0x6c || c === 0x64) {
      i += 1;
      const list: Decoded[] = [];
      while (buf[i] !== 0x65) {
        if (i >= buf.length) throw new Error('bencode: unterminated container');
        list.push(read(depth + 1));
      }
      i += 1;
      if (c === 0x6c) return list;
      const dict: Record<string, Decoded> = {};
      for (let k = 0; k < list.length; k += 2) dict[String(list[k])] = list[k + 1] as Decoded;
      return dict;
    }
    const colon = buf.indexOf(0x3a, i);
    if (colon < 0) throw new Error('bencode: bad string');
    const len = Number(buf.subarray(i, colon).toString());
    if (!Number.isInteger(len) || len < 0 || colon + 1 + len > buf.length) throw new Error('bencode: bad string length');
    const s = buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
    i = colon + 1 + len;
    return s;
  };
  const value = read(0);
  return { value, end: i };
}

export type NgResponse = Record<string, Decoded>;

export class RtpengineError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${command}: ${reason}`);
  }
}

export class RtpengineClient {
  private socket: Socket | undefined;
  private readonly waiting = new Map<string, { resolve: (r: NgResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(
    readonly target: { host: string; port: number },
    private readonly timeoutMs: number,
  ) {}

  static async open(target: { host: string; port: number }, timeoutMs = 1_500): Promise<RtpengineClient> {
    const client = new RtpengineClient(target, timeoutMs);
    const socket = createSocket('udp4');
    client.socket = socket;
    socket.on('message', (msg) => client.onMessage(msg));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return client;
  }

  private onMessage(msg: Buffer): void {
    const space = msg.indexOf(0x20);
    if (space < 0) return;
    const cookie = msg.subarray(0, space).toString();
    const pending = this.waiting.get(cookie);
    if (!pending) return;
    this.waiting.delete(cookie);
    clearTimeout(pending.timer);
    try {
      const decoded = bdecode(msg.subarray(space + 1));
      if (typeof decoded !== 'object' || Array.isArray(decoded)) throw new Error('not a dictionary');
      pending.resolve(decoded);
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  /** Sends one ng command; resolves with the answer, rejects on "error" or after two silent attempts. */
  async command(name: string, params: Record<string, Bencodable | undefined> = {}): Promise<NgResponse> {
    const socket = this.socket;
    if (!socket) throw new Error('rtpengine client closed');
    const cookie = randomBytes(6).toString('hex');
    const packet = Buffer.concat([Buffer.from(`${cookie} `), bencode({ ...params, command: name })]);
    const answer = await new Promise<NgResponse>((resolve, reject) => {
      let attempts = 0;
      const send = () => {
        attempts += 1;
        socket.send(packet, this.target.port, this.target.host);
        const timer = setTimeout(() => {
          if (attempts < 2) send();
          else {
            this.waiting.delete(cookie);
            reject(new RtpengineError(name, 'no answer'));
          }
        }, this.timeoutMs);
        this.waiting.set(cookie, { resolve, reject, timer });
      };
      send();
    });
    if (answer.result === 'error') throw new RtpengineError(name, String(answer['error-reason'] ?? 'unknown error'));
    return answer;
  }

  async ping(): Promise<boolean> {
    return (await this.command('ping')).result === 'pong';
  }

  async close(): Promise<void> {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error('rtpengine client closed'));
    }
    this.waiting.clear();
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
    this.socket = undefined;
  }
}
