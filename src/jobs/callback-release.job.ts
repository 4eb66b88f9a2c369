import type { CallbackService } from '../services/callback.service.js';
import type { Job } from './job-runner.js';

/**
 * Every 15 seconds: callbacks whose time has come (a retry after its spacing, one an agent scheduled) are released
 * to the ACD as tasks, and tries whose node died mid-call are given back. Promised times are kept to the quarter
 * minute.
 */
export const callbackReleaseJob = (deps: { callbacks: CallbackService; timeZone: string }): Job => ({
  name: 'callback release',
  intervalMs: 15_000,
  exclusive: true,
  run: async (now) => {
    const released = await deps.callbacks.releaseDue({
      actor: null,
      system: 'callback-release',
      sourceIp: null,
      requestId: null,
      now,
      timeZone: deps.timeZone,
    });
    return released > 0 ? { released } : undefined;
  },
});
