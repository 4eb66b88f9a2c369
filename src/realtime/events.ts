/** The realtime event map is part of the API contract, shared with the web app: see src/contracts/realtime.ts. */
export type { ServerEvents, ServerEventType, ServerMessage } from '../contracts/realtime.js';
