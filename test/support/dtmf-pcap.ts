import { writeFileSync } from 'node:fs';

/**
 * Writes a pcap of RFC 4733 telephone-event packets (payload type 101) that
 * SIPp's play_pcap_audio sends into a call: each key a separate event with its
 * own RTP timestamp — SIPp's stock pcaps all share one timestamp, so a media
 * server rightly takes the same pcap played twice for one key — packets every
 * 20 ms, the end flag on the last three, as a real phone sends them.
 */
export function writeDtmfPcap(file: string, keys: { digit: string; atMs: number }[]): void {
  const EVENTS = '0123456789*#';
  const packets: { t: number; udp: Buffer }[] = [];
  let seq = 1000;
  const ssrc = 0x5b0c1234;
  for (const [k, key] of keys.entries()) {
    const event = EVENTS.indexOf(key.digit);
    if (event < 0) throw new Error(`not a DTMF key: ${key.digit}`);
    const timestamp = 8_000 + k * 32_000 + Math.round((key.atMs / 1000) * 8000);
    const steps = 8;
    for (let i = 0; i < steps + 2; i++) {
      const end = i >= steps - 1;
      const duration = Math.min(i + 1, steps) * 160;
      const rtp = Buffer.alloc(16);
      rtp[0] = 0x80;
      rtp[1] = (i === 0 ? 0x80 : 0) | 101;
      rtp.writeUInt16BE(seq++ & 0xffff, 2);
      rtp.writeUInt32BE(timestamp >>> 0, 4);
      rtp.writeUInt32BE(ssrc, 8);
      rtp[12] = event;
      rtp[13] = (end ? 0x80 : 0) | 10;
      rtp.writeUInt16BE(duration, 14);
      packets.push({ t: key.atMs + Math.min(i, steps - 1) * 20 + (i >= steps ? (i - steps + 1) * 5 : 0), udp: rtp });
    }
  }
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65_535, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  const records = packets.map(({ t, udp: payload }) => {
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6000, 2);
    udp.writeUInt16BE(8 + payload.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + payload.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, payload]);
    const header = Buffer.alloc(16);
    const when = 1_700_000_000_000 + t;
    header.writeUInt32LE(Math.floor(when / 1000), 0);
    header.writeUInt32LE((when % 1000) * 1000, 4);
    header.writeUInt32LE(frame.length, 8);
    header.writeUInt32LE(frame.length, 12);
    return Buffer.concat([header, frame]);
  });
  writeFileSync(file, Buffer.concat([global, ...records]));
}
