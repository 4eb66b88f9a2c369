import { type TwilioWebhookQuery, ZTwilioWebhookForm, ZTwilioWebhookQuery } from '../../contracts/calls.js';
import { ZTextResponse } from '../../contracts/common.js';
import type { TwilioCalls } from '../../telephony/adapters/twilio.js';
import { defineRoute } from '../route.js';

/**
 * Twilio's voice webhooks (form-encoded POSTs, TwiML answers). The access
 * guard checks X-Twilio-Signature on each one before the handler runs; an
 * unsigned or tampered request is 403 and audited. Without a configured
 * Twilio account every request is refused the same way.
 */

const TWIML = 'text/xml; charset=utf-8';

export function twilioRoutes(calls: () => TwilioCalls | undefined) {
  const need = () => {
    const c = calls();
    if (!c) throw new Error('twilio adapter not configured'); // unreachable: the guard refuses unsigned requests first
    return c;
  };
  const route = (
    url: string,
    summary: string,
    handler: (c: TwilioCalls, body: Record<string, string>, query: TwilioWebhookQuery) => Promise<string>,
  ) =>
    defineRoute({
      method: 'POST',
      url: `/api/telephony/twilio/${url}`,
      summary,
      tags: ['telephony'],
      access: { webhook: 'twilio' },
      query: ZTwilioWebhookQuery,
      body: ZTwilioWebhookForm,
      contentType: TWIML,
      response: ZTextResponse,
      errors: [403],
      handler: async ({ body, query }) => handler(need(), body, query),
    });
  return [
    route('voice', 'Twilio: an incoming call (the line’s IVR flow starts)', (c, b) => c.incoming(b)),
    route('gather', 'Twilio: keys from a <Gather>, or its timeout', (c, b, q) => c.gather(b, q.timedOut === '1')),
    route('wait', 'Twilio: what a queued caller hears (place, expected wait, the callback offer)', (c, b) => c.wait(b)),
    route('wait-key', 'Twilio: a key pressed in the queue (1: callback)', (c, b) => c.waitKey(b)),
    route('queue-result', 'Twilio: the caller left the queue (callback, hang-up, error)', (c, b) => c.queueResult(b)),
    route('status', 'Twilio: the call’s status callback, and a voicemail recording', (c, b) => c.status(b)),
    route('participant-status', 'Twilio: a conference leg (agent, interpreter, supervisor, consultation) answered or ended', (c, b, q) =>
      c.participantStatus(b, q),
    ),
    route('callback-status', 'Twilio: a callback try’s leg (the agent’s phone, the number called back) answered or ended', (c, b, q) =>
      c.callbackStatus(b, q),
    ),
    route('announce', 'Twilio: what the interpreter hears on answering (the language needed)', async (c, _b, q) =>
      c.announce(q.language ?? 'en'),
    ),
    route('dial-result', 'Twilio: the caller left the agent’s conference (talked: wrap-up; not connected: back to the queue)', (c, b, q) =>
      c.dialResult(b, q.reservation ?? ''),
    ),
  ];
}
