import type { SoftphoneCredential } from '@contracts/identity.js';
import { C, UA, WebSocketInterface } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession.js';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api.js';

/**
 * The agent desktop's softphone (issue #21, item 3): JsSIP over the SIP edge's WebSocket transport, WebRTC media that
 * rtpengine bridges to the call's plain RTP. It registers as the agent's bound phone with a credential the server
 * issues to this session (POST /api/v1/softphone/credentials), never one in the bundle. Call control rings it like
 * any phone when the ACD offers the agent a call: the ringing call is the offer — accepting the offer answers it,
 * rejecting declines it (call control turns that into the reservation's accept or reject). Mute, hold (a re-INVITE),
 * keys (RFC 4733 through the media) and hang-up act on the call itself.
 */

/**
 * `held` is the hold the far end has accepted (the re-INVITE answered); `holdChanging` is a hold or a release still on
 * its way. A press while one is on its way is kept, not lost: the hold then goes where the last press asked for.
 */
export type SoftphoneCall = {
  state: 'ringing' | 'answering' | 'talking';
  muted: boolean;
  held: boolean;
  holdChanging: boolean;
};
export type SoftphoneStatus =
  | { kind: 'starting' }
  | { kind: 'registered'; sipUser: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'disconnected'; reason: string };

export type Softphone = {
  status: SoftphoneStatus;
  call: SoftphoneCall | null;
  answer: () => void;
  decline: () => void;
  hangup: () => void;
  toggleMute: () => void;
  toggleHold: () => void;
  key: (digit: string) => void;
  /** The element the caller's audio plays in. */
  audioRef: React.RefObject<HTMLAudioElement | null>;
};

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;
export const isKey = (k: string): boolean => (KEYS as readonly string[]).includes(k);

export function useSoftphone(): Softphone {
  const [status, setStatus] = useState<SoftphoneStatus>({ kind: 'starting' });
  const [call, setCall] = useState<SoftphoneCall | null>(null);
  const session = useRef<RTCSession | null>(null);
  /** The hold the agent last asked for (null: nothing asked since the call began), and whether a re-INVITE is out. */
  const wantHold = useRef<boolean | null>(null);
  const reOffering = useRef(false);
  const audioRef = useRef<HTMLAudioElement | null>(null);

  useEffect(() => {
    let ua: UA | null = null;
    let stopped = false;
    const start = async () => {
      let credential: SoftphoneCredential;
      try {
        credential = await api<SoftphoneCredential>('POST', '/api/v1/softphone/credentials', {});
      } catch (e) {
        if (!stopped) setStatus({ kind: 'unavailable', reason: e instanceof ApiError ? e.message : 'The softphone could not start.' });
        return;
      }
      if (stopped) return;
      ua = new UA({
        sockets: [new WebSocketInterface(credential.wsUrl)],
        uri: `sip:${credential.sipUser}@${credential.domain}`,
        authorization_user: credential.authUser,
        password: credential.password,
        realm: credential.realm,
        register: true,
        register_expires: 300,
        session_timers: false,
        user_agent: 'Switchboard desktop',
      });
      ua.on('registered', () => setStatus({ kind: 'registered', sipUser: credential.sipUser }));
      ua.on('registrationFailed', (e: { cause?: string }) =>
        setStatus({ kind: 'disconnected', reason: `The edge refused the softphone (${e.cause ?? 'unknown'}).` }),
      );
      ua.on('disconnected', () => setStatus({ kind: 'disconnected', reason: 'The connection to the SIP edge is lost; retrying.' }));
      ua.on('newRTCSession', (e: { originator: string; session: RTCSession }) => {
        if (e.originator !== 'remote') return;
        const s = e.session;
        // One call at a time: the desktop takes one voice contact.
        if (session.current) {
          s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
          return;
        }
        session.current = s;
        wantHold.current = null;
        reOffering.current = false;
        setCall({ state: 'ringing', muted: false, held: false, holdChanging: false });
        s.on('peerconnection', (p: { peerconnection: RTCPeerConnection }) => {
          p.peerconnection.addEventListener('track', (t: RTCTrackEvent) => {
            const audio = audioRef.current;
            if (audio) audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
          });
        });
        s.on('confirmed', () => setCall((c) => (c ? { ...c, state: 'talking' } : c)));
        s.on('muted', () => setCall((c) => (c ? { ...c, muted: true } : c)));
        s.on('unmuted', () => setCall((c) => (c ? { ...c, muted: false } : c)));
        const over = () => {
          if (session.current === s) session.current = null;
          setCall(null);
          if (audioRef.current) audioRef.current.srcObject = null;
        };
        s.on('ended', over);
        s.on('failed', over);
      });
      ua.start();
    };
    void start();
    return () => {
      stopped = true;
      ua?.stop();
    };
  }, []);

  const answer = useCallback(() => {
    const s = session.current;
    if (!s?.isInProgress()) return;
    setCall((c) => (c ? { ...c, state: 'answering' } : c));
    s.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }, []);
  const decline = useCallback(() => session.current?.terminate({ status_code: 486, reason_phrase: 'Busy Here' }), []);
  const hangup = useCallback(() => session.current?.terminate(), []);
  const toggleMute = useCallback(() => {
    const s = session.current;
    if (!s?.isEstablished()) return;
    if (s.isMuted().audio) s.unmute({ audio: true });
    else s.mute({ audio: true });
  }, []);
  /**
   * Moves the call towards the hold last asked for, one re-INVITE at a time. JsSIP refuses a hold or release while
   * another offer is out (it returns false); that is why a press is recorded in wantHold and applied when the re-INVITE
   * before it is answered. Marked, so call control answers it (it refuses other re-INVITEs from phones).
   */
  const applyHold = useCallback((attempt = 0) => {
    const s = session.current;
    const want = wantHold.current;
    if (!s?.isEstablished() || want === null || reOffering.current) return;
    if (s.isOnHold().local === want) {
      setCall((c) => (c ? { ...c, held: want, holdChanging: false } : c));
      return;
    }
    const done = () => {
      if (session.current !== s) return;
      reOffering.current = false;
      setCall((c) => (c ? { ...c, held: s.isOnHold().local, holdChanging: false } : c));
      applyHold();
    };
    reOffering.current = true;
    setCall((c) => (c ? { ...c, holdChanging: true } : c));
    const marked = { extraHeaders: ['X-Switchboard-Hold: 1'] };
    const sent = want ? s.hold(marked, done) : s.unhold(marked, done);
    if (sent) return;
    // The far end's own offer is in progress: try again shortly (bounded), then give up and show where the call is.
    reOffering.current = false;
    if (attempt < 20) setTimeout(() => applyHold(attempt + 1), 250);
    else setCall((c) => (c ? { ...c, held: s.isOnHold().local, holdChanging: false } : c));
  }, []);
  const toggleHold = useCallback(() => {
    const s = session.current;
    if (!s?.isEstablished()) return;
    wantHold.current = !(wantHold.current ?? s.isOnHold().local);
    applyHold();
  }, [applyHold]);
  const key = useCallback((digit: string) => {
    const s = session.current;
    if (s?.isEstablished() && isKey(digit)) s.sendDTMF(digit, { transportType: C.DTMF_TRANSPORT.RFC2833 });
  }, []);
  return { status, call, answer, decline, hangup, toggleMute, toggleHold, key, audioRef };
}

/** While a hold or a release is on its way: which way it is going (from where the far end last agreed). */
const wantHoldText = (held: boolean): string => (held ? ' · taking the caller off hold…' : ' · putting the caller on hold…');

/** The softphone's panel on the desktop: its state, and while a call is on, its controls and keypad. */
export function SoftphonePanel({ phone }: { phone: Softphone }) {
  const { status, call } = phone;
  const statusText =
    status.kind === 'starting'
      ? 'Starting…'
      : status.kind === 'registered'
        ? `Ready: calls offered to you ring here (${status.sipUser}).`
        : status.reason;
  return (
    <section aria-labelledby="softphone-heading" className="softphone">
      <h2 id="softphone-heading">Softphone</h2>
      <p role="status" data-softphone-status={status.kind}>
        {statusText}
      </p>
      {call?.state === 'ringing' && <p>Ringing: accepting the offer answers it.</p>}
      {call && call.state !== 'ringing' && (
        <>
          <p>
            {call.state === 'answering' ? 'Connecting…' : 'On the call'}
            {call.muted ? ' · muted' : ''}
            {call.holdChanging ? wantHoldText(call.held) : call.held ? ' · on hold' : ''}
          </p>
          <div className="softphone-controls">
            <button type="button" aria-pressed={call.muted} onClick={phone.toggleMute}>
              Mute <kbd>M</kbd>
            </button>{' '}
            <button type="button" aria-pressed={call.held} onClick={phone.toggleHold}>
              Hold <kbd>H</kbd>
            </button>{' '}
            <button type="button" onClick={phone.hangup}>
              Hang up <kbd>X</kbd>
            </button>
          </div>
          <fieldset className="keypad">
            <legend>Keypad (or type the keys)</legend>
            {KEYS.map((k) => (
              <button key={k} type="button" onClick={() => phone.key(k)}>
                {k}
              </button>
            ))}
          </fieldset>
        </>
      )}
      {/* biome-ignore lint/a11y/useMediaCaption: a live phone call has no captions to offer */}
      <audio ref={phone.audioRef} autoPlay data-softphone-audio />
    </section>
  );
}
