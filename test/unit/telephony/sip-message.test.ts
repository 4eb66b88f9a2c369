import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  first,
  makeResponse,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  type SipRequest,
  serialize,
} from '../../../src/telephony/sip/message.js';
import { checkOffer, mirrorDirection } from '../../../src/telephony/sip/sdp.js';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';
const invite = (over: Record<string, string | null> = {}, body = SDP) => {
  const headers: Record<string, string | null> = {
    Via: 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-1-abc;rport',
    From: '"Caller" <sip:+16155550199@127.0.0.1:5080>;tag=aa1',
    To: '<sip:+16155550100@127.0.0.1>',
    'Call-ID': 'call-1@127.0.0.1',
    CSeq: '1 INVITE',
    'Max-Forwards': '70',
    Contact: '<sip:sipp@127.0.0.1:5080>',
    'Content-Type': 'application/sdp',
    ...over,
  };
  const lines = Object.entries(headers)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return `INVITE sip:+16155550100@127.0.0.1:5070 SIP/2.0\r\n${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

describe('SIP message parsing', () => {
  it('parses an INVITE: compact forms, multi-value headers, the body by Content-Length', () => {
    const raw = invite({ Via: null, v: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKk1, SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-1' });
    const parsed = parseMessage(raw);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('not a request');
    const m = parsed.message;
    expect(m.method).toBe('INVITE');
    expect(m.headers.get('via')).toHaveLength(2);
    expect(parseVia(first(m, 'via'))).toMatchObject({ transport: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: 'z9hG4bKk1' } });
    expect(parseNameAddr(first(m, 'from'))).toMatchObject({ display: 'Caller', params: { tag: 'aa1' } });
    expect(parseUri(m.uri)).toMatchObject({ user: '+16155550100', host: '127.0.0.1', port: 5070 });
    expect(m.body).toBe(SDP);
  });

  it('refuses what is missing or malformed with the status to answer, keeping what is needed to answer', () => {
    const noCallId = parseMessage(invite({ 'Call-ID': null }));
    expect(noCallId).toMatchObject({ ok: false, status: 400, reason: 'Missing Call-ID' });
    if (noCallId.ok || !noCallId.partial) throw new Error('expected a partial request');
    const answer = makeResponse(noCallId.partial, 400, 'Missing Call-ID', { toTag: 'x' });
    expect(serialize(answer).toString()).toMatch(
      /^SIP\/2\.0 400 Missing Call-ID\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:5080;branch=z9hG4bK-1-abc;rport/,
    );
    expect(parseMessage(invite({ CSeq: 'one INVITE' }))).toMatchObject({ ok: false, status: 400, reason: 'Bad CSeq' });
    expect(parseMessage(invite({ CSeq: '1 BYE' }))).toMatchObject({ ok: false, reason: 'CSeq Method Mismatch' });
    expect(parseMessage(invite({ 'Max-Forwards': null }))).toMatchObject({ ok: false, reason: 'Missing Max-Forwards' });
    expect(parseMessage(invite({ 'X-Huge': 'a'.repeat(5_000) }))).toMatchObject({ ok: false, status: 513 });
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`X-H${i}`, 'v']));
    expect(parseMessage(invite(many))).toMatchObject({ ok: false, status: 513 });
    expect(parseMessage('GARBAGE\r\n\r\n')).toMatchObject({ ok: false, status: 400, partial: null });
    const truncated = invite().replace(/Content-Length: \d+/, 'Content-Length: 9999');
    expect(parseMessage(truncated)).toMatchObject({ ok: false, reason: 'Truncated Body' });
  });

  it('never throws, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3_000 }), (bytes) => {
        const result = parseMessage(Buffer.from(bytes));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 0, max: 8 }), (junk, where) => {
        const lines = invite().split('\r\n');
        lines.splice(where, 0, junk);
        const result = parseMessage(lines.join('\r\n'));
        if (!result.ok) expect([400, 513]).toContain(result.status);
      }),
      { numRuns: 500 },
    );
  });

  it('a bad percent escape in a URI is kept as written, not thrown (one packet must not fail the node)', () => {
    expect(parseUri('sip:%E0@127.0.0.1')).toMatchObject({ user: '%E0', host: '127.0.0.1' });
    const parsed = parseMessage(invite().replace('INVITE sip:+16155550100@', 'INVITE sip:%E0%A4@'));
    expect(parsed.ok).toBe(true);
  });

  it('serializes a response that parses back to the same headers', () => {
    const parsed = parseMessage(invite());
    if (!parsed.ok) throw new Error('bad fixture');
    const response = makeResponse(parsed.message as SipRequest, 200, 'OK', { toTag: 't1', body: SDP });
    const back = parseMessage(serialize(response));
    expect(back.ok).toBe(true);
    if (!back.ok || back.message.kind !== 'response') throw new Error('not a response');
    expect(back.message.status).toBe(200);
    expect(parseNameAddr(first(back.message, 'to'))?.params.tag).toBe('t1');
    expect(back.message.body).toBe(SDP);
  });
});

describe('SDP offers', () => {
  it('accepts PCMU/PCMA audio and notes telephone-event; refuses what call control cannot use', () => {
    expect(checkOffer(SDP)).toMatchObject({ ok: true, sdp: { address: '127.0.0.1', audioPort: 6000, telephoneEvent: 101 } });
    expect(checkOffer('')).toMatchObject({ ok: false, reason: 'no SDP offer' });
    expect(checkOffer('hello world')).toMatchObject({ ok: false });
    expect(checkOffer(SDP.replace('m=audio 6000 RTP/AVP 0 101', 'm=video 6000 RTP/AVP 96'))).toMatchObject({
      ok: false,
      reason: 'no audio stream (m=audio)',
    });
    expect(checkOffer(SDP.replace('RTP/AVP 0 101', 'RTP/AVP 18').replace('a=rtpmap:0 PCMU/8000\r\n', ''))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no supported codec'),
    });
    expect(checkOffer(SDP.replace('c=IN IP4 127.0.0.1\r\n', ''))).toMatchObject({ ok: false, reason: 'no connection address (c=)' });
  });
});

describe('SDP direction', () => {
  it('answers a hold (sendonly) with recvonly, inactive with inactive, and a resume with sendrecv', () => {
    expect(mirrorDirection(`${SDP}a=sendonly\r\n`, `${SDP}a=sendrecv\r\n`)).toMatch(/a=recvonly\r\n$/);
    expect(mirrorDirection(`${SDP}a=inactive\r\n`, SDP)).toMatch(/a=inactive\r\n$/);
    const resumed = mirrorDirection(SDP, `${SDP}a=recvonly\r\n`);
    expect(resumed).toMatch(/a=sendrecv\r\n$/);
    expect(resumed).not.toContain('a=recvonly');
  });
});
