import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeSipPhonePorts, freeUdpRange } from './telephony.js';

/**
 * An agent's softphone for the SIP suites: Debian's baresip, headless,
 * registered with the test's Kamailio, answering automatically, talking a
 * 600 Hz tone (aufile) and recording what it hears (sndfile), controlled over
 * its TCP control interface (netstring JSON: "hangup", events such as
 * REGISTER_OK and CALL_ESTABLISHED).
 */

/** Terminal colour codes in baresip's answers (ESC [ … m). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

export type Softphone = {
  user: string;
  events: { type: string; param?: string }[];
  command: (command: string, params?: string) => void;
  waitFor: (type: string, ms?: number) => Promise<void>;
  /** Until the edge has accepted the registration (asked with the "reginfo" command). */
  registered: (ms?: number) => Promise<void>;
  heard: () => string[];
  stop: () => Promise<void>;
};

export async function startSoftphone(
  user: string,
  edgePort: number,
  options: {
    toneHz?: number;
    sipPort?: number;
    register?: boolean;
    /** The edge's transport: 'tls' reaches it at `edgePort` over TLS (its certificate checked against `caFile`). */
    transport?: 'udp' | 'tls';
    caFile?: string;
    /** 'srtp-mand': media only as SRTP (RTP/SAVP, SDES keys), as a carrier or phone that insists on it. */
    mediaenc?: 'srtp-mand';
    /** The phone's digest password (the edge challenges every REGISTER); `register: false` for a caller's phone. */
    password?: string;
  } = {},
): Promise<Softphone> {
  const dir = mkdtempSync(path.join(tmpdir(), `sb-baresip-${user}-`));
  const rec = path.join(dir, 'heard');
  mkdirSync(rec);
  const tone = path.join(dir, 'tone.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    tone,
    'synth',
    '60',
    'sine',
    String(options.toneHz ?? 600),
    'vol',
    '0.5',
  ]);
  const ports = await freeSipPhonePorts();
  const sipPort = options.sipPort ?? ports.sip;
  const ctrlPort = ports.control;
  const rtp = await freeUdpRange(100);
  writeFileSync(
    path.join(dir, 'accounts'),
    `<sip:${user}@127.0.0.1:${edgePort}${options.transport === 'tls' ? ';transport=tls' : ''}>;${options.password ? `auth_pass=${options.password};` : ''}transport=${options.transport ?? 'udp'};regint=${options.register === false ? 0 : 60};answermode=auto;audio_codecs=PCMU/8000/1,PCMA/8000/1${
      options.mediaenc ? `;mediaenc=${options.mediaenc}` : ''
    }\n`,
  );
  writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'call_local_timeout 120',
      'call_max_calls 4',
      'audio_player alsa,null',
      `audio_source aufile,${tone}`,
      'audio_alert alsa,null',
      'ausrc_srate 8000',
      'auplay_srate 8000',
      'ausrc_channels 1',
      'auplay_channels 1',
      'audio_buffer 20-160',
      `rtp_ports ${rtp.min}-${rtp.min + 99}`,
      'rtcp_mux no',
      'jitter_buffer_delay 5-10',
      'module_path /usr/lib/baresip/modules',
      ...(options.caFile ? [`sip_cafile ${options.caFile}`] : []),
      ...(options.mediaenc ? ['module srtp.so'] : []),
      'module g711.so',
      'module aufile.so',
      'module alsa.so',
      'module sndfile.so',
      'module_tmp uuid.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${rec}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('baresip', ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
  });
  const events: { type: string; param?: string }[] = [];
  const responses: string[] = [];
  let socket: Socket | undefined;
  for (let i = 0; i < 50 && !socket; i++) {
    await new Promise((r) => setTimeout(r, 100));
    socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
  }
  if (!socket) {
    child.kill('SIGKILL');
    throw new Error(`baresip did not open its control port: ${output.slice(-2_000)}`);
  }
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(buf.subarray(0, colon).toString());
      if (buf.length < colon + 1 + len + 1) return;
      try {
        const msg = JSON.parse(buf.subarray(colon + 1, colon + 1 + len).toString()) as {
          event?: boolean;
          type?: string;
          param?: string;
          response?: boolean;
          data?: string;
        };
        if (msg.event && msg.type) events.push({ type: msg.type, ...(msg.param ? { param: msg.param } : {}) });
        if (msg.response) responses.push(String(msg.data ?? ''));
      } catch {
        // not JSON: ignore
      }
      buf = buf.subarray(colon + 1 + len + 1);
    }
  });
  const ctrl = socket;
  const phone: Softphone = {
    user,
    events,
    command: (command, params = '') => {
      const body = JSON.stringify({ command, params, token: 't' });
      ctrl.write(`${Buffer.byteLength(body)}:${body},`);
    },
    waitFor: async (type, ms = 20_000) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        if (events.some((e) => e.type === type)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`baresip: no ${type} in ${ms} ms; events ${JSON.stringify(events)}; output ${output.slice(-1_500)}`);
    },
    registered: async (ms = 20_000) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        phone.command('reginfo');
        await new Promise((r) => setTimeout(r, 250));
        if (responses.some((r) => /\bOK\b/.test(r.replace(ANSI_COLOUR, ' ')))) return;
      }
      throw new Error(`baresip did not register: ${responses.at(-1) ?? ''} ${output.slice(-1_500)}`);
    },
    heard: () =>
      readdirSync(rec)
        .filter((f) => f.endsWith('-dec.wav'))
        .map((f) => path.join(rec, f)),
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        ctrl.destroy();
        return;
      }
      // Un-register first (deleting the user agent sends REGISTER with Expires: 0): a binding left at the edge
      // outlives the phone, and its port, given to a later test's phone, would be rung — and auto-answered — for this
      // user's calls. Bounded: the un-REGISTER is sent at once; its answer is not waited for (the edge may be gone).
      if (options.register !== false) {
        phone.command('uadel', `sip:${user}@127.0.0.1:${edgePort}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      ctrl.destroy();
      // SIGKILL: on SIGTERM baresip waits for an un-REGISTER answer the stopped edge will never send.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
  return phone;
}

/**
 * The RMS amplitude of one tone in a WAV file (a band of ±60 Hz around it; null: all of it), optionally in a window
 * of it: which party a phone heard, when each talks at its own frequency.
 */
export function toneLevel(file: string, hz: number | null, window?: { fromS: number; seconds: number }): number {
  const r = spawnSync(
    'sox',
    [
      file,
      '-n',
      ...(window ? ['trim', String(window.fromS), String(window.seconds)] : []),
      ...(hz === null ? [] : ['sinc', `${hz - 60}-${hz + 60}`]),
      'stat',
    ],
    { encoding: 'utf8' },
  );
  const m = /RMS\s+amplitude:\s+([\d.]+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? Number(m[1]) : 0;
}

/** The RMS amplitude of a WAV file, as sox measures it (sox prints its statistics on stderr). */
export function rms(file: string): number {
  const r = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8' });
  const m = /RMS\s+amplitude:\s+([\d.]+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? Number(m[1]) : 0;
}
