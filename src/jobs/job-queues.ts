import type { JobQueueSpec } from '../storage/job-queue.js';

/**
 * Each background job's queue (pg-boss): made by the schema owner when migrations run (storage/job-queue.ts), so
 * the list is fixed here rather than built from the running jobs. An exclusive job's queue is a singleton (one run
 * active at a time across all nodes); the partner processor's is standard (every node does its share each second).
 *
 * Retries: a sweep that fails is retried with backoff (5 s, 10 s, 20 s, then the next minute's run); retention after
 * 5, 10 and 20 minutes. The partner processor is never retried by the queue: its next run is a second away, and the
 * rows it works on (uploads, submissions, webhook deliveries) carry their own status, attempts and next-attempt
 * time, so a failed run leaves each row where its own retry rule puts it.
 * Expiry: a run still active after it (its node was killed mid-run) counts as failed, freeing the singleton.
 */
export const JOB_QUEUES: Readonly<Record<string, JobQueueSpec>> = {
  'welfare sweep': sweep('switchboard-welfare-sweep'),
  'partner request sweep': sweep('switchboard-partner-request-sweep'),
  'submission work item sweep': sweep('switchboard-submission-work-item-sweep'),
  'partner processor': {
    name: 'switchboard-partner-processor',
    policy: 'standard',
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
  },
  retention: {
    name: 'switchboard-retention',
    policy: 'singleton',
    retryLimit: 3,
    retryDelaySeconds: 300,
    retryBackoff: true,
    expireInSeconds: 3_600,
  },
};

function sweep(name: string): JobQueueSpec {
  return { name, policy: 'singleton', retryLimit: 3, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 300 };
}

export const jobQueueSpecs = (): JobQueueSpec[] => Object.values(JOB_QUEUES);
