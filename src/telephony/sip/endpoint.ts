// Over 500 lines: the transaction layer, dialogs and the socket loop share one transaction table and its timers (RFC 3261 §17).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { AdoptedDialog, type DialogState, inDialogRequest, infoDigit, referHeaders, withoutTag } from './adopted-dialog.js';
import {
  first,
  makeResponse,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  randomToken,
  type SipRequest,
  type SipResponse,
  serialize,
} from './message.js';
import { OutgoingCall } from './outgoing-call.js';

/**
 * A SIP user agent over UDP (RFC 3261 §17, the parts a call-control server
 * needs): server transactions that answer retransmissions from their cached
 * response, 100 Trying at once for INVITE, 2xx retransmitted until the ACK
 * (T1 doubling to T2, given up after 64·T1), CANCEL → 487 for an INVITE not yet
 * answered, in-dialog BYE/INFO/re-INVITE matched by Call-ID and tags (else
 * 481), client transactions for the BYE it sends, OPTIONS answered (Kamailio's
 * dispatcher pings), and anything else refused with a proper status. A
 * malformed message gets 400 (or 513) when it can be answered at all and is
 * dropped otherwise; nothing thrown by a handler reaches the socket loop.
 */

export const T1 = 500;
export const T2 = 4_000;
const TIMER_H = 64 * T1;
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY';
/** Server transactions held at once (each for 64·T1): about 1,500 new requests a second for 32 s. */
const MAX_TRANSACTIONS = 50_000;

export type Remote = { address: string; port: number };
export type CallEndReason = 'remote_bye' | 'remote_cancel' | 'local_bye' | 'ack_timeout' | 'rejected' | 'shutdown';

export type EndpointStats = { received: number; malformed: number; activeCalls: number; answered: number; rejected: number };

type ServerTx = { key: string; last: Buffer | null; remote: Remote; expires: number; timer?: NodeJS.Timeout };

export type IncomingCallHandlers = {
  /** The caller hung up (BYE), or gave up before the answer (CANCEL). */
  onEnd?: (reason: CallEndReason) => void;
  /** A DTMF digit sent as SIP INFO (application/dtmf-relay or application/dtmf). */
  onInfoDigit?: (digit: string) => void;
  /** The ACK for our 2xx arrived: media may flow. */
  onConfirmed?: () => void;
  /** A re-INVITE: answer with the SDP to send back (or null to refuse with 488). */
  onReinvite?: (sdp: string) => Promise<string | null>;
};

export class IncomingCall {
  readonly callId: string;
  readonly fromTag: string;
  readonly localTag = randomToken(6);
  readonly arrivedAt: number;
  state: 'early' | 'answered' | 'confirmed' | 'ended' = 'early';
  handlers: IncomingCallHandlers = {};
  private okTimer: NodeJS.Timeout | undefined;
  private localSeq = 1;
  private remoteSeq: number;
  private routeSet: string[];
  private remoteTarget: string;

  constructor(
    private readonly endpoint: SipEndpoint,
    readonly invite: SipRequest,
    readonly remote: Remote,
    private readonly tx: ServerTx,
  ) {
    this.callId = first(invite, 'call-id');
    this.fromTag = parseNameAddr(first(invite, 'from'))?.params.tag ?? '';
    this.arrivedAt = Date.now();
    this.remoteSeq = parseCSeq(first(invite, 'cseq'))?.seq ?? 0;
    this.routeSet = [...(invite.headers.get('record-route') ?? [])];
    this.remoteTarget = parseNameAddr(first(invite, 'contact'))?.uri ?? '';
  }

  get dialogKey(): string {
    return `${this.callId}|${this.localTag}|${this.fromTag}`;
  }
  /** The dialog as data (saved so that another node can carry the call on). */
  dialogState(): DialogState {
    return {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: this.fromTag,
      local: withoutTag(parseNameAddr(first(this.invite, 'to'))),
      remote: withoutTag(parseNameAddr(first(this.invite, 'from'))),
      remoteTarget: this.remoteTarget || `sip:${this.remote.address}:${this.remote.port}`,
      routeSet: [...this.routeSet],
      localSeq: this.localSeq,
      remoteSeq: this.remoteSeq,
      remoteAddress: this.remote,
    };
  }

  /** The dialled number, from the Request-URI (or To). */
  get dialled(): string {
    return parseUri(this.invite.uri)?.user ?? parseUri(parseNameAddr(first(this.invite, 'to'))?.uri ?? '')?.user ?? '';
  }
  /** The caller's number, from From (P-Asserted-Identity first if a trusted edge set it). */
  get caller(): string {
    const pai = first(this.invite, 'p-asserted-identity');
    const uri = parseNameAddr(pai || first(this.invite, 'from'))?.uri ?? '';
    return parseUri(uri)?.user ?? '';
  }

  private respond(status: number, reason: string, extra: Parameters<typeof makeResponse>[3] = {}) {
    const response = makeResponse(this.invite, status, reason, { toTag: this.localTag, ...extra });
    const bytes = serialize(response);
    this.tx.last = bytes;
    this.endpoint.sendRaw(bytes, this.remote);
    return bytes;
  }

  /** 200 OK with our SDP, retransmitted until the ACK comes; no ACK in 64·T1 ends the call. */
  answer(sdp: string): void {
    if (this.state !== 'early') return;
    this.state = 'answered';
    const bytes = this.respond(200, 'OK', {
      body: sdp,
      headers: [
        ['contact', `<sip:switchboard@${this.endpoint.contactHost}>`],
        ['allow', ALLOW],
      ],
    });
    this.endpoint.registerDialog(this);
    let interval = T1;
    let elapsed = 0;
    const again = () => {
      if (this.state !== 'answered') return;
      elapsed += interval;
      if (elapsed >= TIMER_H) {
        this.end('ack_timeout', true);
        return;
      }
      this.endpoint.sendRaw(bytes, this.remote);
      interval = Math.min(interval * 2, T2);
      this.okTimer = setTimeout(again, interval);
    };
    this.okTimer = setTimeout(again, interval);
  }

  reject(status: number, reason: string, headers: [string, string][] = []): void {
    if (this.state !== 'early') return;
    const bytes = this.respond(status, reason, { headers });
    // Timer G: over UDP a final error is sent again (T1 doubling to T2) until the ACK comes, for at most 64·T1.
    let interval = T1;
    let elapsed = 0;
    const again = () => {
      elapsed += interval;
      if (elapsed >= TIMER_H) return;
      this.endpoint.sendRaw(bytes, this.remote);
      interval = Math.min(interval * 2, T2);
      this.tx.timer = setTimeout(again, interval);
      this.tx.timer.unref();
    };
    this.tx.timer = setTimeout(again, interval);
    this.tx.timer.unref();
    this.endpoint.stats.rejected += 1;
    this.finish('rejected');
  }

  /** Hangs up from our side: BYE if answered, else a final error response. */
  hangup(): void {
    if (this.state === 'early') this.reject(480, 'Temporarily Unavailable');
    else if (this.state !== 'ended') this.end('local_bye', true);
  }

  /** Forgets the dialog without a word: another node holds the call now (its requests here are then refused with 503). */
  detach(): void {
    if (this.state === 'ended') return;
    clearTimeout(this.okTimer);
    this.state = 'ended';
    this.handlers = {};
    this.endpoint.forgetCall(this);
  }

  /** @internal */ acked(): void {
    if (this.state !== 'answered') return;
    clearTimeout(this.okTimer);
    this.state = 'confirmed';
    this.handlers.onConfirmed?.();
  }

  /** @internal */ canceled(): void {
    if (this.state !== 'early') return;
    this.respond(487, 'Request Terminated');
    this.finish('remote_cancel');
  }

  /** @internal */ async inDialog(request: SipRequest, remote: Remote, tx: ServerTx): Promise<void> {
    const cseq = parseCSeq(first(request, 'cseq'));
    if (cseq && request.method !== 'ACK') {
      if (cseq.seq < this.remoteSeq) {
        this.endpoint.reply(request, remote, tx, 500, 'Server Internal Error (CSeq out of order)');
        return;
      }
      this.remoteSeq = cseq.seq;
    }
    switch (request.method) {
      case 'BYE':
        this.endpoint.reply(request, remote, tx, 200, 'OK');
        this.end('remote_bye', false);
        return;
      case 'NOTIFY':
        // Progress of a transfer we asked for (a sipfrag): noted, nothing to do.
        this.endpoint.reply(request, remote, tx, 200, 'OK');
        return;
      case 'INFO': {
        const digit = infoDigit(request.body);
        this.endpoint.reply(request, remote, tx, 200, 'OK');
        if (digit) this.handlers.onInfoDigit?.(digit);
        return;
      }
      case 'INVITE': {
        const sdp = request.body && this.handlers.onReinvite ? await this.handlers.onReinvite(request.body) : null;
        if (!sdp) this.endpoint.reply(request, remote, tx, 488, 'Not Acceptable Here');
        else
          this.endpoint.reply(request, remote, tx, 200, 'OK', {
            body: sdp,
            headers: [['contact', `<sip:switchboard@${this.endpoint.contactHost}>`]],
          });
        return;
      }
      default:
        this.endpoint.reply(request, remote, tx, 405, 'Method Not Allowed', { headers: [['allow', ALLOW]] });
    }
  }

  private end(reason: CallEndReason, sendBye: boolean): void {
    if (this.state === 'ended') return;
    clearTimeout(this.okTimer);
    if (sendBye) this.sendBye();
    this.finish(reason);
  }

  private finish(reason: CallEndReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    clearTimeout(this.okTimer);
    this.endpoint.forgetCall(this);
    try {
      this.handlers.onEnd?.(reason);
    } catch (error) {
      this.endpoint.log('handler_error', { callId: this.callId, error: String(error) });
    }
  }

  private sendBye(): void {
    void this.sendInDialog('BYE', []);
  }

  /**
   * Blind transfer (RFC 3515): asks the caller's side to call `target` instead. Resolves with the REFER's final status
   * (202: accepted), or null when nothing answered; the caller's side then places the new call.
   */
  async refer(target: string): Promise<number | null> {
    if (this.state !== 'confirmed' && this.state !== 'answered') return null;
    const response = await this.sendInDialog('REFER', referHeaders(target, this.endpoint.contactHost));
    return response?.status ?? null;
  }

  /** A request inside the dialog (inDialogRequest: along its route set, or to where the INVITE came from). */
  private sendInDialog(method: 'BYE' | 'REFER', extra: [string, string][]): Promise<SipResponse | null> {
    const out = inDialogRequest(this.dialogState(), method, ++this.localSeq, extra, this.endpoint.contactHost);
    return out ? this.endpoint.sendRequest(out.request, out.destination) : Promise.resolve(null);
  }
}

type ClientTx = { branch: string; bytes: Buffer; remote: Remote; timer?: NodeJS.Timeout; done: (r: SipResponse | null) => void };

export class SipEndpoint {
  private socket: Socket | undefined;
  private readonly serverTx = new Map<string, ServerTx>();
  private readonly clientTx = new Map<string, ClientTx>();
  private readonly dialogs = new Map<string, IncomingCall>();
  private readonly pendingInvites = new Map<string, IncomingCall>();
  private readonly outgoingByBranch = new Map<string, OutgoingCall>();
  private readonly outgoingDialogs = new Map<string, OutgoingCall>();
  /** Dialogs carried on from another node's saved state, by Call-ID and our tag. */
  private readonly adopted = new Map<string, AdoptedDialog>();
  private readonly sweeper: NodeJS.Timeout;
  readonly stats: EndpointStats = { received: 0, malformed: 0, activeCalls: 0, answered: 0, rejected: 0 };
  contactHost = '';
  onInvite: (call: IncomingCall) => void = (call) => call.reject(503, 'Service Unavailable');
  /**
   * An in-dialog request for a dialog this node does not hold: the edge sent it here because the call's node did not
   * answer. Resolves once the call is adopted (its dialogs given to `adopt`) or found not to exist (then 481).
   */
  onUnknownDialog: ((callId: string) => Promise<void>) | null = null;

  private constructor(
    readonly options: { host: string; port: number; maxCalls: number; log: (event: string, details: Record<string, unknown>) => void },
  ) {
    this.sweeper = setInterval(() => this.sweep(), 5_000);
    this.sweeper.unref();
  }

  static async open(options: {
    host: string;
    port: number;
    maxCalls?: number;
    log?: (event: string, details: Record<string, unknown>) => void;
  }): Promise<SipEndpoint> {
    const endpoint = new SipEndpoint({ maxCalls: 2_000, log: () => undefined, ...options });
    await endpoint.bind();
    return endpoint;
  }

  log(event: string, details: Record<string, unknown>): void {
    this.options.log(event, details);
  }

  private bind(): Promise<void> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
    this.socket = socket;
    socket.on('message', (raw, rinfo) => {
      try {
        this.receive(raw, rinfo);
      } catch (error) {
        this.log('receive_error', { error: String(error) });
      }
    });
    socket.on('error', (error) => this.log('socket_error', { error: String(error) }));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.host, () => {
        socket.off('error', reject);
        const address = socket.address();
        this.contactHost = `${address.address}:${address.port}`;
        resolve();
      });
    });
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  sendRaw(bytes: Buffer, remote: Remote): void {
    this.socket?.send(bytes, remote.port, remote.address);
  }

  /** A request through a client transaction: retransmitted (T1 doubling to T2) until a final response or 64·T1. */
  sendRequest(request: SipRequest, remote: Remote): Promise<SipResponse | null> {
    const branch = parseVia(first(request, 'via'))?.params.branch ?? '';
    const bytes = serialize(request);
    return new Promise((resolve) => {
      const tx: ClientTx = {
        branch,
        bytes,
        remote,
        done: (r) => {
          clearTimeout(tx.timer);
          this.clientTx.delete(branch);
          resolve(r);
        },
      };
      this.clientTx.set(branch, tx);
      let interval = T1;
      let elapsed = 0;
      const again = () => {
        elapsed += interval;
        if (elapsed >= TIMER_H) return tx.done(null);
        this.sendRaw(bytes, remote);
        interval = Math.min(interval * 2, T2);
        tx.timer = setTimeout(again, interval);
      };
      this.sendRaw(bytes, remote);
      tx.timer = setTimeout(again, interval);
      tx.timer.unref();
    });
  }

  /** Answers a request inside a server transaction, caching the response for retransmissions. */
  reply(
    request: SipRequest,
    remote: Remote,
    tx: ServerTx | null,
    status: number,
    reason: string,
    extra: Parameters<typeof makeResponse>[3] = {},
  ): void {
    const bytes = serialize(makeResponse(request, status, reason, { toTag: randomToken(6), ...extra }));
    if (tx) tx.last = bytes;
    this.sendRaw(bytes, remote);
  }

  registerDialog(call: IncomingCall): void {
    this.pendingInvites.delete(this.branchKey(call.invite));
    this.dialogs.set(call.dialogKey, call);
    this.stats.answered += 1;
  }

  forgetCall(call: IncomingCall): void {
    if (this.dialogs.delete(call.dialogKey) || this.pendingInvites.delete(this.branchKey(call.invite))) this.stats.activeCalls -= 1;
  }

  /** Carries on a dialog another node held, from its saved state. */
  adopt(state: DialogState, caller = ''): AdoptedDialog {
    const dialog = new AdoptedDialog(this, state, caller);
    this.adopted.set(dialog.key, dialog);
    this.stats.activeCalls += 1;
    return dialog;
  }

  forgetAdopted(dialog: AdoptedDialog): void {
    if (this.adopted.delete(dialog.key)) this.stats.activeCalls -= 1;
  }

  /** Places a call through the edge proxy (an agent's phone). */
  invite(
    uri: string,
    proxy: Remote,
    sdp: string,
    fromUser = 'switchboard',
    extraHeaders: readonly (readonly [string, string])[] = [],
  ): OutgoingCall {
    const call = new OutgoingCall(this, uri, proxy, sdp, fromUser, extraHeaders);
    call.start();
    return call;
  }

  registerOutgoing(call: OutgoingCall): void {
    this.outgoingByBranch.set(call.branch, call);
    if (call.remoteTag) this.outgoingDialogs.set(call.dialogKey, call);
  }

  forgetOutgoing(call: OutgoingCall): void {
    this.outgoingDialogs.delete(call.dialogKey);
    setTimeout(() => this.outgoingByBranch.delete(call.branch), 32_000).unref();
  }

  get calls(): IncomingCall[] {
    return [...this.dialogs.values(), ...this.pendingInvites.values()];
  }

  private branchKey(request: SipRequest): string {
    const via = parseVia(first(request, 'via'));
    const branch = via?.params.branch;
    const method = request.method === 'ACK' || request.method === 'CANCEL' ? 'INVITE' : request.method;
    return branch?.startsWith('z9hG4bK')
      ? `${branch}|${via?.host}:${via?.port ?? 5060}|${method}`
      : `${first(request, 'call-id')}|${parseNameAddr(first(request, 'from'))?.params.tag ?? ''}|${parseCSeq(first(request, 'cseq'))?.seq ?? ''}|${method}`;
  }

  private receive(raw: Buffer, rinfo: RemoteInfo): void {
    this.stats.received += 1;
    if (raw.length <= 4 && raw.toString().trim() === '') return; // keep-alive
    const remote = { address: rinfo.address, port: rinfo.port };
    const parsed = parseMessage(raw);
    if (!parsed.ok) {
      this.stats.malformed += 1;
      this.log('malformed', { status: parsed.status, reason: parsed.reason, from: `${remote.address}:${remote.port}` });
      // Answer when there is something to answer to (never an ACK); otherwise drop it (RFC 3261 §18.3).
      const p = parsed.partial;
      if (p && p.method !== 'ACK' && p.headers.get('via')?.length) {
        const bytes = serialize(makeResponse(p, parsed.status, parsed.reason, { toTag: randomToken(6) }));
        this.sendRaw(bytes, remote);
      }
      return;
    }
    const message = parsed.message;
    if (message.kind === 'response') {
      const branch = parseVia(first(message, 'via'))?.params.branch ?? '';
      const outgoing = this.outgoingByBranch.get(branch);
      if (outgoing && parseCSeq(first(message, 'cseq'))?.method === 'INVITE') {
        outgoing.onResponse(message);
        return;
      }
      const tx = this.clientTx.get(branch);
      if (tx && message.status >= 200) tx.done(message);
      return;
    }
    this.onRequest(message, remote);
  }

  private onRequest(request: SipRequest, remote: Remote): void {
    const key = this.branchKey(request);
    if (request.method === 'ACK') {
      const toTag = parseNameAddr(first(request, 'to'))?.params.tag ?? '';
      const fromTag = parseNameAddr(first(request, 'from'))?.params.tag ?? '';
      const dialog = this.dialogs.get(`${first(request, 'call-id')}|${toTag}|${fromTag}`);
      if (dialog) dialog.acked();
      const tx = this.serverTx.get(key);
      if (tx?.timer) clearTimeout(tx.timer); // ACK for a non-2xx final: stop retransmitting
      return;
    }
    if (request.method === 'CANCEL') {
      const cancelKey = `${key}|CANCEL`;
      const seen = this.serverTx.get(cancelKey);
      if (seen?.last) {
        this.sendRaw(seen.last, remote);
        return;
      }
      const tx: ServerTx = { key: cancelKey, last: null, remote, expires: Date.now() + TIMER_H };
      this.serverTx.set(cancelKey, tx);
      const invite = this.pendingInvites.get(key);
      this.reply(request, remote, tx, invite ? 200 : 481, invite ? 'OK' : 'Call/Transaction Does Not Exist');
      invite?.canceled();
      return;
    }
    // A retransmission: the transaction's last response again, nothing more.
    const existing = this.serverTx.get(`${key}`);
    if (existing) {
      if (existing.last) this.sendRaw(existing.last, remote);
      return;
    }
    // A flood of new transactions is refused before it can grow the table without bound (entries live 64·T1).
    if (this.serverTx.size >= MAX_TRANSACTIONS) {
      this.reply(request, remote, null, 503, 'Service Unavailable', { headers: [['retry-after', '5']] });
      return;
    }
    const tx: ServerTx = { key, last: null, remote, expires: Date.now() + TIMER_H };
    this.serverTx.set(key, tx);
    const toTag = parseNameAddr(first(request, 'to'))?.params.tag;
    if (toTag !== undefined) {
      const fromTag = parseNameAddr(first(request, 'from'))?.params.tag ?? '';
      const key = `${first(request, 'call-id')}|${toTag}|${fromTag}`;
      const outgoing = this.outgoingDialogs.get(key);
      if (outgoing) {
        outgoing.inDialog(request, remote);
        return;
      }
      const dialog = this.dialogs.get(key);
      if (!dialog) {
        this.toAdopted(request, remote, tx, toTag);
        return;
      }
      dialog.inDialog(request, remote, tx).catch((error) => {
        this.log('handler_error', { callId: dialog.callId, error: String(error) });
        this.reply(request, remote, tx, 500, 'Server Internal Error');
      });
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        this.reply(request, remote, tx, 200, 'OK', {
          headers: [
            ['allow', ALLOW],
            ['accept', 'application/sdp'],
          ],
        });
        return;
      case 'INVITE': {
        const trying = serialize(makeResponse(request, 100, 'Trying'));
        tx.last = trying;
        this.sendRaw(trying, remote);
        if (this.stats.activeCalls >= this.options.maxCalls) {
          this.reply(request, remote, tx, 503, 'Service Unavailable', { headers: [['retry-after', '5']] });
          this.stats.rejected += 1;
          return;
        }
        const call = new IncomingCall(this, request, remote, tx);
        this.pendingInvites.set(key, call);
        this.stats.activeCalls += 1;
        try {
          this.onInvite(call);
        } catch (error) {
          this.log('handler_error', { callId: call.callId, error: String(error) });
          call.reject(500, 'Server Internal Error');
        }
        return;
      }
      case 'BYE':
      case 'INFO':
        this.reply(request, remote, tx, 481, 'Call/Transaction Does Not Exist');
        return;
      default:
        this.reply(request, remote, tx, 405, 'Method Not Allowed', { headers: [['allow', ALLOW]] });
    }
  }

  /** A request for a dialog adopted from another node — or for one to adopt now — else 481. */
  private toAdopted(request: SipRequest, remote: Remote, tx: ServerTx, toTag: string): void {
    const callId = first(request, 'call-id');
    const deliver = (): boolean => {
      const adopted = this.adopted.get(`${callId}|${toTag}`);
      if (!adopted) return false;
      adopted
        .inDialog(request, (status, reason, sdp) =>
          this.reply(
            request,
            remote,
            tx,
            status,
            reason,
            sdp ? { body: sdp, headers: [['contact', `<sip:switchboard@${this.contactHost}>`]] } : {},
          ),
        )
        .catch((error) => {
          this.log('handler_error', { callId, error: String(error) });
          this.reply(request, remote, tx, 500, 'Server Internal Error');
        });
      return true;
    };
    if (deliver()) return;
    // Addressed to this node (its Contact) but held here no more: another node adopted the call. 503 sends the edge
    // on to the other nodes; adopting it back here would take it from a live node.
    const target = parseUri(request.uri);
    if (target && `${target.host}:${target.port ?? 5060}` === this.contactHost) {
      this.reply(request, remote, tx, 503, 'Service Unavailable', {
        headers: [['warning', '399 switchboard "the call is held by another node"']],
      });
      return;
    }
    if (!this.onUnknownDialog) {
      this.reply(request, remote, tx, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    void this.onUnknownDialog(callId)
      .catch((error) => this.log('adopt_failed', { callId, error: String(error) }))
      .then(() => {
        if (!deliver()) this.reply(request, remote, tx, 481, 'Call/Transaction Does Not Exist');
      });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, tx] of this.serverTx) if (tx.expires < now) this.serverTx.delete(key);
  }

  /**
   * Stops listening at once, ending nothing: no BYE, no answers — what the edge sees when a node dies. Calls this node
   * held are simply gone (the edge fails over INVITEs it has not had a final answer to).
   */
  async abort(): Promise<void> {
    clearInterval(this.sweeper);
    for (const tx of this.clientTx.values()) tx.done(null);
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
    this.socket = undefined;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const call of this.calls) call.hangup();
    for (const dialog of [...this.adopted.values()]) dialog.hangup();
    for (const tx of this.clientTx.values()) tx.done(null);
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
    this.socket = undefined;
  }
}
