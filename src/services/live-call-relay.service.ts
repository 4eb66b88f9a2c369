import type pg from 'pg';
import { AppError, type ErrorCode, type FieldIssue, isAppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import { listen } from '../storage/notifications.js';
import * as repo from '../storage/repositories/live-call-request.repository.js';

/**
 * Acts of help on a live call that another node holds. A SIP call's media is on its holder, so the node a
 * supervisor's or agent's request reached asks the holder through the database: the request is a row for that node
 * and a NOTIFY; the holder takes it, carries it out and writes the answer (a result, or the error it would have
 * answered itself, code and message kept). A holder that does not take a request within `takeMs` is gone (its calls
 * move to another node within seconds): the request is withdrawn, so it is never carried out late, and the asker
 * hears so. The audit is written by the node that was asked, with the actor; the holder only acts.
 */

export type RelayHandler = (act: string, recordId: string | null, args: Record<string, unknown>) => Promise<unknown>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveCallRelay {
  constructor(
    private readonly deps: {
      db: Db;
      pool: pg.Pool;
      /** How often an asker looks for the answer, and a holder for missed requests. */
      pollMs?: number;
      /** How long a holder has to take a request before it counts as gone. */
      takeMs?: number;
    },
  ) {}

  private get pollMs() {
    return this.deps.pollMs ?? 50;
  }

  /** Asks `node` to carry out an act on a call it holds; resolves to its result, or throws the error it gave. */
  async ask(node: string, act: string, recordId: string | null, args: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const { db } = this.deps;
    const id = await repo.insertLiveCallRequest(db, { node, recordId, act, args });
    const started = performance.now();
    const takeMs = Math.min(timeoutMs, this.deps.takeMs ?? 5_000);
    try {
      for (;;) {
        const row = await repo.findLiveCallRequest(db, id);
        if (row?.done_at) {
          if (row.error) throw new AppError(row.error.code as ErrorCode, row.error.message, row.error.details as { issues?: FieldIssue[] });
          return row.result;
        }
        const waited = performance.now() - started;
        if (!row?.taken_at && waited > takeMs && (await repo.withdrawLiveCallRequest(db, id)))
          throw new AppError(
            'not_ready',
            'The node holding this call did not answer: nothing was done. Try again in a moment (a node that is gone hands its calls to another within seconds).',
          );
        if (waited > timeoutMs)
          throw new AppError(
            'not_ready',
            'The node holding this call is taking too long: the act may still complete. Look at the call again.',
          );
        await sleep(this.pollMs);
      }
    } finally {
      await repo.deleteLiveCallRequest(db, id).catch(() => undefined);
    }
  }

  /** The call-control nodes alive now, besides `self`. */
  async otherNodes(self: string | null, freshMs = 5_000): Promise<string[]> {
    return (await repo.liveCallControlNodes(this.deps.db, freshMs)).filter((n) => n !== self);
  }

  /**
   * Carries out the requests for `node` with `handler`, each as it comes (a supervisor's phone ringing does not hold
   * up the next request). Returns the stop.
   */
  async serve(
    node: string,
    handler: RelayHandler,
    log: (event: string, details: Record<string, unknown>) => void,
  ): Promise<() => Promise<void>> {
    const { db, pool } = this.deps;
    let draining = false;
    let again = false;
    const running = new Set<Promise<void>>();
    const carryOut = async (row: repo.LiveCallRequestRow) => {
      try {
        const result = await handler(row.act, row.record_id, row.args);
        await repo.answerLiveCallRequest(db, row.id, { result });
      } catch (error) {
        if (!isAppError(error))
          log('live_call_request_failed', { act: row.act, error: error instanceof Error ? error.message : String(error) });
        await repo
          .answerLiveCallRequest(db, row.id, {
            error: isAppError(error)
              ? { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) }
              : { code: 'internal', message: 'The node holding this call could not do it.' },
          })
          .catch(() => undefined);
      }
    };
    const drain = async (): Promise<void> => {
      if (draining) {
        again = true;
        return;
      }
      draining = true;
      try {
        do {
          again = false;
          for (const row of await repo.takeLiveCallRequests(db, node)) {
            const p = carryOut(row).finally(() => running.delete(p));
            running.add(p);
          }
        } while (again);
      } catch (error) {
        log('live_call_requests_unreadable', { error: error instanceof Error ? error.message : String(error) });
      } finally {
        draining = false;
      }
    };
    const unlisten = await listen(pool, repo.LIVE_CALL_CHANNEL, (payload) => {
      if (payload === node) void drain();
    });
    // Notifications sent while the listening connection was being reopened are lost: the poll finds those requests.
    let ticks = 0;
    const timer = setInterval(() => {
      void drain();
      // Once a minute: requests whose asker died before deleting them.
      if (++ticks % 60 === 0) void repo.purgeStaleLiveCallRequests(db, 10 * 60_000).catch(() => undefined);
    }, 1_000);
    timer.unref();
    await drain();
    return async () => {
      clearInterval(timer);
      await unlisten();
      await Promise.allSettled([...running]);
    };
  }
}
