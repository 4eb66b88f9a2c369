import { z } from 'zod';
import { ZPartnerClient } from './identity.js';
import { ZClientRequest } from './partner.js';

/** API clients in the partner portal (client-request.routes.ts): an officer asks, an admin decides, the officer collects the secret once. */

/** POST /api/v1/portal/client-requests: what the officer asks for. */
export const ZClientRequestBody = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('the system that will use it, e.g. "County RMS"'),
  scopes: z.array(z.string()).min(1).max(5),
  justification: z.string().trim().min(10).max(1_000),
});
export type ClientRequestBody = z.infer<typeof ZClientRequestBody>;

/** GET /api/v1/portal/client-requests: the agency's requests and its clients. */
export const ZAgencyClientRequests = z.object({ requests: z.array(ZClientRequest), clients: z.array(ZPartnerClient) });
export type AgencyClientRequests = z.infer<typeof ZAgencyClientRequests>;

/** POST /api/v1/portal/client-requests/:id/collect: the secret, shown only now. */
export const ZCollectedClientSecret = z.object({ clientId: z.string(), clientSecret: z.string().describe('shown only now') });
export type CollectedClientSecret = z.infer<typeof ZCollectedClientSecret>;

/** GET /api/v1/admin/client-requests: filter by status. */
export const ZClientRequestListQuery = z.strictObject({ status: z.enum(['pending', 'approved', 'refused']).optional() });
export type ClientRequestListQuery = z.infer<typeof ZClientRequestListQuery>;

export const ZClientRequestList = z.object({ requests: z.array(ZClientRequest) });
export type ClientRequestList = z.infer<typeof ZClientRequestList>;

/** POST /api/v1/admin/client-requests/:id/decide. */
export const ZClientRequestDecisionBody = z.strictObject({
  decision: z.enum(['approve', 'refuse']),
  note: z.string().trim().max(500).optional(),
});
export type ClientRequestDecisionBody = z.infer<typeof ZClientRequestDecisionBody>;
