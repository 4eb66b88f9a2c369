import {
  first,
  formatNameAddr,
  type Headers,
  type NameAddr,
  parseCSeq,
  parseNameAddr,
  parseUri,
  randomToken,
  type SipRequest,
  type SipResponse,
} from './message.js';
import { holdOffered, mirrorDirection } from './sdp.js';

/**
 * A SIP dialog as data, and a dialog carried on from that data by another
 * node. The node that holds a call saves each of its dialogs (the caller's,
 * the agent's) as a DialogState; when it dies, the edge sends the dialog's
 * next request to a surviving node, which rebuilds the dialog as an
 * AdoptedDialog (RFC 3261 §12: a dialog is its Call-ID, tags, route set,
 * remote target and CSeq numbers — nothing else) and answers it: BYE,
 * re-INVITE, INFO; its own BYE goes along the saved route set with the next
 * CSeq.
 */

export type DialogState = {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our party (the From of our requests) and theirs (the To), each without its tag. */
  local: string;
  remote: string;
  remoteTarget: string;
  /** The route set in the order our requests use it (the first entry is the next hop). */
  routeSet: string[];
  localSeq: number;
  remoteSeq: number;
  /** Where a request goes without a route set. */
  remoteAddress: { address: string; port: number };
  /** Our last SDP in a dialog we placed (an agent's phone): a hold re-INVITE from the phone is answered with it. */
  localSdp?: string;
};

/** A name-addr without its tag (the tag is the dialog's, kept apart). */
export function withoutTag(value: NameAddr | null): string {
  if (!value) return '';
  const { tag: _tag, ...params } = value.params;
  return formatNameAddr({ ...value, params });
}

/** The key a SIP INFO carries (application/dtmf-relay "Signal=5", or application/dtmf "5"), upper-cased; null if none. */
export function infoDigit(body: string): string | null {
  const digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(body)?.[1] ?? /^\s*([0-9*#A-D])\s*$/i.exec(body)?.[1] ?? null;
  return digit ? digit.toUpperCase() : null;
}

/** The headers of a REFER asking the other side to call `target` instead (RFC 3515, blind transfer). */
export function referHeaders(target: string, contactHost: string): [string, string][] {
  return [
    ['refer-to', `<${target}>`],
    ['referred-by', `<sip:switchboard@${contactHost}>`],
    ['contact', `<sip:switchboard@${contactHost}>`],
  ];
}

/**
 * A request of ours inside a dialog, with CSeq `seq`, and where it goes: along the route set (loose routing: the
 * first route is the next hop), or without one to the remote address. Null when the dialog's parties do not parse.
 */
export function inDialogRequest(
  d: DialogState,
  method: 'BYE' | 'REFER',
  seq: number,
  extra: [string, string][],
  contactHost: string,
): { request: SipRequest; destination: { address: string; port: number } } | null {
  const local = parseNameAddr(d.local);
  const remote = parseNameAddr(d.remote);
  if (!local || !remote) return null;
  const headers: Headers = new Map<string, string[]>([
    ['via', [`SIP/2.0/UDP ${contactHost};branch=z9hG4bK${randomToken(8)};rport`]],
    ['max-forwards', ['70']],
    ['from', [formatNameAddr({ ...local, params: { ...local.params, tag: d.localTag } })]],
    ['to', [formatNameAddr({ ...remote, params: { ...remote.params, tag: d.remoteTag } })]],
    ['call-id', [d.callId]],
    ['cseq', [`${seq} ${method}`]],
    ...extra.map(([name, value]): [string, string[]] => [name, [value]]),
  ]);
  if (d.routeSet.length > 0) headers.set('route', [...d.routeSet]);
  const next = d.routeSet[0] ? parseUri(parseNameAddr(d.routeSet[0])?.uri ?? '') : null;
  return {
    request: { kind: 'request', method, uri: d.remoteTarget, headers, body: '' },
    destination: next ? { address: next.host, port: next.port ?? 5060 } : d.remoteAddress,
  };
}

export type AdoptedHandlers = {
  onEnd?: (reason: 'remote_bye' | 'local_bye') => void;
  onInfoDigit?: (digit: string) => void;
  onReinvite?: (sdp: string) => Promise<string | null>;
  /** The agent's phone put the call on hold (true) or took it off, as it did on the node that rang it. */
  onHold?: (held: boolean) => void;
};

/** What an adopted dialog needs from the endpoint it lives on. */
export interface DialogHost {
  readonly contactHost: string;
  sendRequest(request: SipRequest, remote: { address: string; port: number }): Promise<SipResponse | null>;
  forgetAdopted(dialog: AdoptedDialog): void;
}

export class AdoptedDialog {
  state: 'confirmed' | 'ended' = 'confirmed';
  handlers: AdoptedHandlers = {};
  private localSeq: number;
  private remoteSeq: number;

  constructor(
    private readonly host: DialogHost,
    private readonly dialog: DialogState,
    /** The caller's number (the caller's dialog only). */
    readonly caller = '',
  ) {
    // Past anything the dead node may have sent after its last save.
    this.localSeq = dialog.localSeq + 100;
    this.remoteSeq = dialog.remoteSeq;
  }

  get callId(): string {
    return this.dialog.callId;
  }
  get localTag(): string {
    return this.dialog.localTag;
  }
  /** The other side's tag (for the caller's dialog, the caller's From tag). */
  get fromTag(): string {
    return this.dialog.remoteTag;
  }
  get key(): string {
    return `${this.dialog.callId}|${this.dialog.localTag}`;
  }

  dialogState(): DialogState {
    return { ...this.dialog, localSeq: this.localSeq, remoteSeq: this.remoteSeq };
  }

  /** @internal A request inside the dialog, from the other side; `reply` answers it in its server transaction. */
  async inDialog(request: SipRequest, reply: (status: number, reason: string, sdp?: string) => void): Promise<void> {
    const cseq = parseCSeq(first(request, 'cseq'));
    if (cseq) {
      if (cseq.seq < this.remoteSeq) {
        reply(500, 'Server Internal Error (CSeq out of order)');
        return;
      }
      this.remoteSeq = cseq.seq;
    }
    switch (request.method) {
      case 'BYE':
        reply(200, 'OK');
        this.finish('remote_bye');
        return;
      case 'INFO': {
        const digit = infoDigit(request.body);
        reply(200, 'OK');
        if (digit) this.handlers.onInfoDigit?.(digit);
        return;
      }
      case 'INVITE': {
        // An agent's softphone holding or resuming (marked X-Switchboard-Hold): answered as the node that rang it
        // would, with our media as it was — refusing it would make the browser hang up on the caller.
        if (request.body && this.dialog.localSdp && first(request, 'x-switchboard-hold') !== '') {
          reply(200, 'OK', mirrorDirection(request.body, this.dialog.localSdp));
          this.handlers.onHold?.(holdOffered(request.body));
          return;
        }
        const sdp = request.body && this.handlers.onReinvite ? await this.handlers.onReinvite(request.body) : null;
        if (sdp) reply(200, 'OK', sdp);
        else reply(488, 'Not Acceptable Here');
        return;
      }
      case 'NOTIFY':
        reply(200, 'OK');
        return;
      default:
        reply(405, 'Method Not Allowed');
    }
  }

  /** Ends the dialog from our side (BYE). */
  hangup(): void {
    if (this.state === 'ended') return;
    void this.send('BYE', []);
    this.finish('local_bye');
  }

  /** Blind transfer (RFC 3515), as the original dialog would. */
  async refer(target: string): Promise<number | null> {
    if (this.state === 'ended') return null;
    const response = await this.send('REFER', referHeaders(target, this.host.contactHost));
    return response?.status ?? null;
  }

  /** Forgets the dialog without a word (this node no longer holds the call). */
  detach(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.host.forgetAdopted(this);
  }

  private finish(reason: 'remote_bye' | 'local_bye'): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.host.forgetAdopted(this);
    this.handlers.onEnd?.(reason);
  }

  private send(method: 'BYE' | 'REFER', extra: [string, string][]): Promise<SipResponse | null> {
    const out = inDialogRequest(this.dialog, method, ++this.localSeq, extra, this.host.contactHost);
    return out ? this.host.sendRequest(out.request, out.destination) : Promise.resolve(null);
  }
}
