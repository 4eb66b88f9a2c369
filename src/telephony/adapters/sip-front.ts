import type { CallControl } from '../call-control.js';
import type { CallSession } from '../call-session.js';
import type { MediaGateway } from '../media/media-gateway.js';
import { RtpengineError } from '../media/rtpengine.js';
import type { SipEndpoint } from '../sip/endpoint.js';
import { checkOffer } from '../sip/sdp.js';
import { SipLeg, type SipLegState } from './sip-leg.js';

/**
 * SIP calls into call control: an INVITE for one of our lines with a usable
 * SDP offer is answered (media anchored in rtpengine) and handed to call
 * control; an unknown number is 404, an offer we cannot use 488 with a
 * Warning saying why, a media server that does not answer 503 (the edge then
 * tries another node).
 *
 * Calls of a node that died are carried on here from their saved state (see
 * CallControl.adoptWith): the caller's dialog, and the agent's if one is on
 * the line, are rebuilt on this endpoint, and the media is rtpengine's as the
 * dead node left it — as long as rtpengine still has the call.
 */
export function attachSip(
  endpoint: SipEndpoint,
  control: CallControl,
  gateway: MediaGateway,
  log: (event: string, d: Record<string, unknown>) => void,
  edge: { address: string; port: number } | null,
): void {
  const phones = edge ? { endpoint, edge } : null;
  control.adoptWith(async (record, saved) => {
    const state = saved.leg as SipLegState;
    if (!state?.caller || !state.media || !(await gateway.has(state.media))) return null;
    const caller = endpoint.adopt(state.caller, record.caller_number ?? '');
    const leg = new SipLeg(caller, gateway, record.line, phones, { media: state.media, sideB: state.sideB });
    let session: Pick<CallSession, 'agentHungUp' | 'markHold'> | null = null;
    if (state.agent)
      leg.adoptAgent(endpoint.adopt(state.agent), {
        onAgentHangup: () => session?.agentHungUp(),
        onAgentHold: (held) => session?.markHold(held),
      });
    return {
      leg,
      wire: (s) => {
        session = s;
      },
    };
  });
  endpoint.onUnknownDialog = (callId) => control.adoptByDialog(callId);
  endpoint.onInvite = (call) => {
    const flow = control.flowFor(call.dialled);
    if (!flow) {
      call.reject(404, 'Not Found');
      return;
    }
    const offer = checkOffer(call.invite.body);
    if (!offer.ok) {
      call.reject(488, 'Not Acceptable Here', [['warning', `399 switchboard "${offer.reason.replace(/"/g, "'")}"`]]);
      return;
    }
    const leg = new SipLeg(call, gateway, call.dialled, phones);
    leg
      .answer()
      .then(() => {
        if (!control.accept(leg)) call.hangup();
      })
      .catch((error) => {
        // rtpengine refused this offer: this call's problem (488). rtpengine silent: this node's (503, the edge tries another).
        if (error instanceof RtpengineError && error.reason !== 'no answer') {
          log('media_refused', { callId: call.callId, reason: error.reason });
          call.reject(488, 'Not Acceptable Here', [['warning', '399 switchboard "the media server refused the offer"']]);
          return;
        }
        log('media_unavailable', { callId: call.callId, error: String(error) });
        call.reject(503, 'Service Unavailable', [['retry-after', '5']]);
      });
  };
}
