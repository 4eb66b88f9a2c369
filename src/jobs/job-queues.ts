import type { JobQueueSpec } from '../storage/job-queue.js';

/**
 * Each background job's queue (pg-boss): made by the schema owner when migrations run (storage/job-queue.ts), so
 * the list is fixed here rather than built from the running jobs. An exclusive job's queue is a singleton (one run
 * active at a time across all nodes); the partner processor's keeps at most one
 * waiting run per node (every node does its share each second; a second that comes while its run waits is dropped).
 *
 * Retries: a sweep that fails is retried with jittered backoff (after 5–10 s, 10–20 s, 20–40 s; the next minute's run
 * is added anyway); retention after 5–10, 10–20 and 20–40 minutes. The partner processor is never retried by the queue: its next run is a second away, and the
 * rows it works on (uploads, submissions, webhook deliveries) carry their own status, attempts and next-attempt
 * time, so a failed run leaves each row where its own retry rule puts it.
 * Expiry: a run still active after it (its node was killed mid-run) counts as failed, freeing the singleton.
 */
export const JOB_QUEUES: Readonly<Record<string, JobQueueSpec>> = {
  'welfare sweep': sweep('switchboard-welfare-sweep'),
  'case plan sweep': sweep('switchboard-case-plan-sweep'),
  'handoff sweep': sweep('switchboard-handoff-sweep'),
  'partner request sweep': sweep('switchboard-partner-request-sweep'),
  'submission work item sweep': sweep('switchboard-submission-work-item-sweep'),
  'callback release': sweep('switchboard-callback-release'),
  'daily reports': sweep('switchboard-daily-reports'),
  'partner processor': {
    name: 'switchboard-partner-processor',
    policy: 'short',
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
