/**
 * The server's clock, as this browser knows it. Every "now" in the app (countdowns, deadlines, "saved at", a default
 * time) is serverNow(): a PC whose clock is hours off still shows a deadline right, and the browser tests do not
 * depend on the machine's date. The API client notes the server's time (the x-server-time header) from each answer.
 */

/** The browser's own clock: read here only, and only to carry the server's time forward between answers. */
const browserClock = (): number => Date.now();

let offsetMs = 0;

/** Sends a request and notes the server's time from its answer, taken as half-way through the round trip. */
export async function fetchNotingServerTime(input: string, init: RequestInit): Promise<Response> {
  const sentAt = browserClock();
  const response = await fetch(input, init);
  const serverTime = Date.parse(response.headers.get('x-server-time') ?? '');
  if (!Number.isNaN(serverTime)) offsetMs = serverTime - (sentAt + browserClock()) / 2;
  return response;
}

/** Milliseconds since the epoch on the server's clock. */
export const serverNow = (): number => browserClock() + offsetMs;
