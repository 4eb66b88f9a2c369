import { type DialogState, withoutTag } from './adopted-dialog.js';
import {
  first,
  formatNameAddr,
  type Headers,
  parseCSeq,
  parseNameAddr,
  parseUri,
  randomToken,
  type SipRequest,
  type SipResponse,
  serialize,
} from './message.js';
import { holdOffered, mirrorDirection } from './sdp.js';

/**
 * A call we place (to an agent's phone, through the SIP edge): the INVITE
 * client transaction (retransmitted until a provisional answer, given up
 * after 64·T1), ACK for the final answer (the same transaction's for an
 * error, a new one along the route set for 2xx, again for each 2xx
 * retransmission), CANCEL while it rings, and the dialog after: the callee's
 * BYE, or ours.
 */

export type OutgoingHandlers = {
  onRinging?: () => void;
  onAnswer?: (sdp: string) => void;
  onFailure?: (status: number, reason: string) => void;
  onEnd?: (reason: 'remote_bye' | 'local_bye') => void;
  /** The callee's phone put the call on hold (true) or took it off (a re-INVITE marked X-Switchboard-Hold). */
  onHold?: (held: boolean) => void;
};

export interface OutgoingHost {
  readonly contactHost: string;
  sendRaw(bytes: Buffer, remote: { address: string; port: number }): void;
  sendRequest(request: SipRequest, remote: { address: string; port: number }): Promise<SipResponse | null>;
  reply(
    request: SipRequest,
    remote: { address: string; port: number },
    tx: null,
    status: number,
    reason: string,
    extra?: { body?: string; headers?: [string, string][] },
  ): void;
  registerOutgoing(call: OutgoingCall): void;
  forgetOutgoing(call: OutgoingCall): void;
}

const T1 = 500;
const T2 = 4_000;

export class OutgoingCall {
  readonly callId = `${randomToken(10)}@switchboard`;
  readonly localTag = randomToken(6);
  readonly branch = `z9hG4bK${randomToken(10)}`;
  remoteTag = '';
  state: 'calling' | 'ringing' | 'answered' | 'canceling' | 'ended' = 'calling';
  handlers: OutgoingHandlers = {};
  private invite: SipRequest;
  /** The SDP we last offered the callee (the INVITE's, or a re-INVITE's): what a hold re-INVITE from them is answered with. */
  private localSdp = '';
  private inviteBytes: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private giveUp: NodeJS.Timeout | undefined;
  private routeSet: string[] = [];
  private remoteTarget: string;
  private localSeq = 1;
  private ackBytes: Buffer | null = null;

  constructor(
    private readonly host: OutgoingHost,
    readonly uri: string,
    private readonly proxy: { address: string; port: number },
    sdp: string,
    fromUser: string,
    /** Further headers of the INVITE (an outbound call's P-Asserted-Identity and its mark for the edge). */
    extraHeaders: readonly (readonly [string, string])[] = [],
  ) {
    this.remoteTarget = uri;
    const headers: Headers = new Map([
      ['via', [`SIP/2.0/UDP ${host.contactHost};branch=${this.branch};rport`]],
      ['max-forwards', ['70']],
      ['from', [formatNameAddr({ display: 'Switchboard', uri: `sip:${fromUser}@${host.contactHost}`, params: { tag: this.localTag } })]],
      ['to', [formatNameAddr({ display: null, uri, params: {} })]],
      ['call-id', [this.callId]],
      ['cseq', ['1 INVITE']],
      ['contact', [`<sip:switchboard@${host.contactHost}>`]],
      ['allow', ['INVITE, ACK, CANCEL, BYE, OPTIONS']],
      ['content-type', ['application/sdp']],
    ]);
    for (const [name, value] of extraHeaders) headers.set(name.toLowerCase(), [...(headers.get(name.toLowerCase()) ?? []), value]);
    this.invite = { kind: 'request', method: 'INVITE', uri, headers, body: sdp };
    this.localSdp = sdp;
    this.inviteBytes = serialize(this.invite);
  }

  get dialogKey(): string {
    return `${this.callId}|${this.localTag}|${this.remoteTag}`;
  }

  /** The dialog as data, once answered (saved so that another node can carry the call on). */
  dialogState(): DialogState | null {
    if (this.state !== 'answered') return null;
    return {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: this.remoteTag,
      local: withoutTag(parseNameAddr(first(this.invite, 'from'))),
      remote: withoutTag(parseNameAddr(first(this.invite, 'to'))),
      remoteTarget: this.remoteTarget,
      routeSet: [...this.routeSet],
      localSeq: this.localSeq,
      remoteSeq: 0,
      remoteAddress: this.nextHop(),
      localSdp: this.localSdp,
    };
  }

  start(): void {
    this.host.registerOutgoing(this);
    let interval = T1;
    const again = () => {
      if (this.state !== 'calling') return;
      this.host.sendRaw(this.inviteBytes, this.proxy);
      interval = Math.min(interval * 2, T2);
      this.timer = setTimeout(again, interval);
    };
    this.host.sendRaw(this.inviteBytes, this.proxy);
    this.timer = setTimeout(again, interval);
    this.giveUp = setTimeout(() => {
      if (this.state === 'ringing' && !this.cancelSent) this.sendCancel(); // the phone must stop ringing too
      if (this.state === 'calling' || this.state === 'ringing' || this.state === 'canceling') this.fail(408, 'Request Timeout');
    }, 64 * T1);
  }

  private fail(status: number, reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    clearTimeout(this.timer);
    clearTimeout(this.giveUp);
    // Kept a while for retransmitted finals, then forgotten.
    setTimeout(() => this.host.forgetOutgoing(this), 32_000).unref();
    this.handlers.onFailure?.(status, reason);
  }

  /** A response to our INVITE (matched by branch). */
  onResponse(response: SipResponse): void {
    const cseq = parseCSeq(first(response, 'cseq'));
    if (cseq?.method === 'CANCEL') return;
    if (response.status < 200) {
      clearTimeout(this.timer);
      // Asked to stop before the callee said anything: now a CANCEL can go.
      if (this.state === 'canceling' && !this.cancelSent) {
        this.sendCancel();
        return;
      }
      if (this.state === 'calling') {
        this.state = 'ringing';
        this.handlers.onRinging?.();
      }
      return;
    }
    if (response.status >= 300) {
      this.ackError(response);
      this.fail(response.status, response.reason);
      return;
    }
    // 2xx: the dialog; ACK it (again, for a retransmitted 2xx).
    if (this.ackBytes) {
      this.host.sendRaw(this.ackBytes, this.nextHop());
      return;
    }
    clearTimeout(this.timer);
    clearTimeout(this.giveUp);
    this.remoteTag = parseNameAddr(first(response, 'to'))?.params.tag ?? '';
    this.routeSet = [...(response.headers.get('record-route') ?? [])].reverse();
    this.remoteTarget = parseNameAddr(first(response, 'contact'))?.uri ?? this.uri;
    this.host.registerOutgoing(this);
    const ack = this.inDialogRequest('ACK', 1);
    this.ackBytes = serialize(ack);
    this.host.sendRaw(this.ackBytes, this.nextHop());
    const wasCanceling = this.state === 'canceling';
    this.state = 'answered';
    if (wasCanceling) {
      this.hangup();
      return;
    }
    this.handlers.onAnswer?.(response.body);
  }

  private ackError(response: SipResponse): void {
    const headers: Headers = new Map([
      ['via', [...(this.invite.headers.get('via') ?? [])]],
      ['max-forwards', ['70']],
      ['from', [...(this.invite.headers.get('from') ?? [])]],
      ['to', [...(response.headers.get('to') ?? [])]],
      ['call-id', [this.callId]],
      ['cseq', ['1 ACK']],
    ]);
    this.host.sendRaw(serialize({ kind: 'request', method: 'ACK', uri: this.uri, headers, body: '' }), this.proxy);
  }

  private nextHop(): { address: string; port: number } {
    const route = this.routeSet[0] ? parseUri(parseNameAddr(this.routeSet[0])?.uri ?? '') : null;
    if (route) return { address: route.host, port: route.port ?? 5060 };
    const target = parseUri(this.remoteTarget);
    return target ? { address: target.host, port: target.port ?? 5060 } : this.proxy;
  }

  /**
   * A re-INVITE in the dialog with a new offer (the call moves into a conference): resolves with the callee's
   * answer SDP once 2xx has come and been ACKed; null if refused, unanswered, or the dialog is over.
   */
  async reinvite(sdp: string): Promise<string | null> {
    if (this.state !== 'answered') return null;
    this.localSeq += 1;
    const seq = this.localSeq;
    const request = this.inDialogRequest('INVITE', seq);
    request.headers.set('contact', [`<sip:switchboard@${this.host.contactHost}>`]);
    request.headers.set('content-type', ['application/sdp']);
    const response = await this.host.sendRequest({ ...request, body: sdp }, this.nextHop());
    if (!response || response.status < 200 || response.status >= 300 || this.state !== 'answered') return null;
    this.localSdp = sdp;
    this.host.sendRaw(serialize(this.inDialogRequest('ACK', seq)), this.nextHop());
    return response.body || null;
  }

  private inDialogRequest(method: 'ACK' | 'BYE' | 'INVITE', seq: number): SipRequest {
    const from = parseNameAddr(first(this.invite, 'from'));
    const to = parseNameAddr(first(this.invite, 'to'));
    const headers: Headers = new Map([
      ['via', [`SIP/2.0/UDP ${this.host.contactHost};branch=z9hG4bK${randomToken(10)};rport`]],
      ['max-forwards', ['70']],
      ['from', [from ? formatNameAddr(from) : '']],
      ['to', [to ? formatNameAddr({ ...to, params: { ...to.params, tag: this.remoteTag } }) : '']],
      ['call-id', [this.callId]],
      ['cseq', [`${seq} ${method}`]],
    ]);
    if (this.routeSet.length > 0) headers.set('route', [...this.routeSet]);
    return { kind: 'request', method, uri: this.remoteTarget, headers, body: '' };
  }

  private cancelSent = false;

  private sendCancel(): void {
    this.cancelSent = true;
    const headers: Headers = new Map([
      ['via', [...(this.invite.headers.get('via') ?? [])]],
      ['max-forwards', ['70']],
      ['from', [...(this.invite.headers.get('from') ?? [])]],
      ['to', [...(this.invite.headers.get('to') ?? [])]],
      ['call-id', [this.callId]],
      ['cseq', ['1 CANCEL']],
    ]);
    void this.host.sendRequest({ kind: 'request', method: 'CANCEL', uri: this.uri, headers, body: '' }, this.proxy);
  }

  /** Stops ringing: CANCEL once the callee has answered provisionally (RFC 3261 §9.1), else as soon as it does. */
  cancel(): void {
    if (this.state === 'ringing') {
      this.state = 'canceling';
      this.sendCancel();
    } else if (this.state === 'calling') this.state = 'canceling';
    else if (this.state === 'answered') this.hangup();
  }

  hangup(): void {
    if (this.state !== 'answered') {
      this.cancel();
      return;
    }
    this.state = 'ended';
    this.localSeq += 1;
    void this.host.sendRequest(this.inDialogRequest('BYE', this.localSeq), this.nextHop());
    this.host.forgetOutgoing(this);
    this.handlers.onEnd?.('local_bye');
  }

  /** A request from the callee inside the dialog. */
  inDialog(request: SipRequest, remote: { address: string; port: number }): void {
    if (request.method === 'BYE') {
      this.host.reply(request, remote, null, 200, 'OK');
      if (this.state === 'ended') return;
      this.state = 'ended';
      this.host.forgetOutgoing(this);
      this.handlers.onEnd?.('remote_bye');
      return;
    }
    // The agent desktop's softphone puts the call on hold or takes it off (a re-INVITE marked X-Switchboard-Hold): our
    // media does not change, so the answer is what we offered, in the direction that answers theirs. Any other
    // re-INVITE from a phone is refused as before (488): a desk phone's would race ours into a conference.
    if (request.method === 'INVITE' && request.body && this.state === 'answered' && first(request, 'x-switchboard-hold') !== '') {
      this.host.reply(request, remote, null, 200, 'OK', {
        body: mirrorDirection(request.body, this.localSdp),
        headers: [['contact', `<sip:switchboard@${this.host.contactHost}>`]],
      });
      this.handlers.onHold?.(holdOffered(request.body));
      return;
    }
    this.host.reply(
      request,
      remote,
      null,
      request.method === 'INVITE' ? 488 : 200,
      request.method === 'INVITE' ? 'Not Acceptable Here' : 'OK',
    );
  }
}
