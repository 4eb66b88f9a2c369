import { describe, expect, it } from 'vitest';
import { AdoptedDialog, type DialogHost, type DialogState } from '../../../src/telephony/sip/adopted-dialog.js';
import type { SipRequest } from '../../../src/telephony/sip/message.js';
import { holdOffered } from '../../../src/telephony/sip/sdp.js';

const SDP = (direction: string) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${direction}\r\n`;
const OURS = 'v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=sendrecv\r\n';

const host: DialogHost = { contactHost: '127.0.0.1:5080', sendRequest: async () => null, forgetAdopted: () => undefined };
const state = (over: Partial<DialogState> = {}): DialogState => ({
  callId: 'agent-leg@127.0.0.1',
  localTag: 'ours',
  remoteTag: 'phone',
  local: '<sip:switchboard@127.0.0.1>',
  remote: '<sip:agent7@127.0.0.1>',
  remoteTarget: 'sip:agent7@127.0.0.1:5070',
  routeSet: [],
  localSeq: 3,
  remoteSeq: 0,
  remoteAddress: { address: '127.0.0.1', port: 5070 },
  localSdp: OURS,
  ...over,
});
const reinvite = (seq: number, body: string, hold: boolean): SipRequest => ({
  kind: 'request',
  method: 'INVITE',
  uri: 'sip:switchboard@127.0.0.1:5080',
  headers: new Map([['cseq', [`${seq} INVITE`]], ...(hold ? [['x-switchboard-hold', ['1']] as [string, string[]]] : [])]),
  body,
});
const answer = async (dialog: AdoptedDialog, request: SipRequest) => {
  let got: { status: number; sdp?: string } | null = null;
  await dialog.inDialog(request, (status, _reason, sdp) => {
    got = sdp === undefined ? { status } : { status, sdp };
  });
  return got as unknown as { status: number; sdp?: string };
};

describe('an agent softphone’s hold on a call adopted from a node that died', () => {
  it('is answered with our media as saved, in the direction that answers the phone’s, and reported; then resumed', async () => {
    const dialog = new AdoptedDialog(host, state());
    const holds: boolean[] = [];
    dialog.handlers.onHold = (held) => holds.push(held);
    const held = await answer(dialog, reinvite(2, SDP('sendonly'), true));
    expect(held.status).toBe(200);
    expect(held.sdp).toContain('m=audio 30000 RTP/AVP 0');
    expect(held.sdp).toMatch(/a=recvonly\r\n$/);
    const back = await answer(dialog, reinvite(3, SDP('sendrecv'), true));
    expect(back.status).toBe(200);
    expect(back.sdp).toMatch(/a=sendrecv\r\n$/);
    expect(holds).toEqual([true, false]);
  });

  it('an unmarked re-INVITE, or one on a dialog saved without our SDP (an older node), is still refused (488)', async () => {
    const holds: boolean[] = [];
    const dialog = new AdoptedDialog(host, state());
    dialog.handlers.onHold = (held) => holds.push(held);
    expect((await answer(dialog, reinvite(2, SDP('sendonly'), false))).status).toBe(488);
    const { localSdp: _none, ...older } = state();
    const old = new AdoptedDialog(host, older);
    old.handlers.onHold = (held) => holds.push(held);
    expect((await answer(old, reinvite(2, SDP('sendonly'), true))).status).toBe(488);
    expect(holds).toEqual([]);
  });

  it('holdOffered: sendonly and inactive hold; sendrecv, recvonly and no direction do not', () => {
    expect(holdOffered(SDP('sendonly'))).toBe(true);
    expect(holdOffered(SDP('inactive'))).toBe(true);
    expect(holdOffered(SDP('sendrecv'))).toBe(false);
    expect(holdOffered(SDP('recvonly'))).toBe(false);
    expect(holdOffered(OURS.replace('a=sendrecv\r\n', ''))).toBe(false);
  });
});
