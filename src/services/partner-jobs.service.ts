import type { Geocoder } from '../domain/geo/geocoder.js';
import type { Db } from '../storage/database.js';
import type { Keys } from './keys.js';
import { processSubmissions } from './partner-submission.service.js';
import type { RoutingService } from './routing.service.js';
import { splitBatches } from './submission-batch.service.js';
import { deliverWebhooks } from './webhook.service.js';

export type PartnerJobDeps = { db: Db; routing: RoutingService; geocoder: Geocoder; keys: Keys; allowLoopback: boolean; timeZone: string };

/**
 * How long one run goes on processing submissions while more are waiting. One claim a run held the processor to
 * 20 submissions a second (a 5,000-row upload took over four minutes); a run now works until nothing waits or this
 * much time has passed, then lets the webhooks go out.
 */
export const PROCESS_BUDGET_MS = 5_000;

/**
 * One run of the partner exchange's background job (every second in `start`, never two at once): uploads
 * split, waiting submissions processed, status webhooks sent. A job that fails is reported and the next goes on.
 */
export async function runPartnerJobs(
  deps: PartnerJobDeps,
  clock: () => Date,
  onError: (job: 'split' | 'process' | 'webhooks', error: unknown) => void,
  budgetMs = PROCESS_BUDGET_MS,
): Promise<void> {
  await splitBatches(deps.db, clock(), deps.timeZone).catch((error: unknown) => onError('split', error));
  const until = performance.now() + budgetMs;
  try {
    while ((await processSubmissions(deps, clock())) > 0 && performance.now() < until);
  } catch (error) {
    onError('process', error);
  }
  await deliverWebhooks({ db: deps.db, keys: deps.keys, allowLoopback: deps.allowLoopback }, clock()).catch((error: unknown) =>
    onError('webhooks', error),
  );
}
