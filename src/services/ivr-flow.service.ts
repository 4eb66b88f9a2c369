import { createTwoFilesPatch } from 'diff';
import { AppError } from '../domain/errors/app-error.js';
import { checkFlow, type Flow, FlowError, type PromptCatalog } from '../domain/ivr/flow.js';
import type { Db } from '../storage/database.js';
import * as repo from '../storage/repositories/ivr-flow.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * The IVR flows as the admin console changes them (issue #20): each line's flow in versions — version 0 is the file
 * shipped in reference/ivr, each edit or rollback the next version — checked by the same schema as the files, with a
 * diff between any two and a rollback that copies an earlier one forward. The line answers with its newest version:
 * the flow maps the call control reads are attached here and changed in place (this node at once; the others on
 * the `ivr_flows` notification, or their next poll), so a change needs no restart and a call already in the menus
 * keeps the node it was on.
 */

export type FlowVersion = {
  version: number;
  note: string;
  restoredFrom: number | null;
  createdBy: string | null;
  createdAt: string | null;
};

export type LineFlows = { line: string; name: string; unit: string; version: number; changedAt: string | null; changedBy: string | null };

const SHIPPED_NOTE = 'as shipped (reference/ivr)';

export class IvrFlows {
  private readonly attached = new Set<Map<string, Flow>>();

  constructor(
    private readonly deps: {
      db: Db;
      /** The flows and prompts read from reference/ivr at start: version 0 of each line. */
      shipped: { flows: ReadonlyMap<string, Flow>; prompts: PromptCatalog };
      log?: (event: string, details: Record<string, unknown>) => void;
    },
  ) {}

  /** A flow map a call control reads: it gets each line's newest version now, and every change after. */
  async attach(live: Map<string, Flow>): Promise<void> {
    this.attached.add(live);
    await this.refresh();
  }

  /** Reads each line's newest version into every attached map (after another node's change, or on a poll). */
  async refresh(): Promise<void> {
    if (this.attached.size === 0) return;
    for (const stored of await repo.newestFlowVersions(this.deps.db)) {
      let flow: Flow;
      try {
        flow = checkFlow(`${stored.line} version ${stored.version}`, stored.flow, this.deps.shipped.prompts);
      } catch (error) {
        // Checked when saved; refused now only if the prompt catalogue shipped since lost a prompt it names.
        this.deps.log?.('ivr_flow_version_refused', { line: stored.line, version: stored.version, error: String(error) });
        continue;
      }
      this.use(flow);
    }
  }

  private use(flow: Flow): void {
    for (const live of this.attached) live.set(flow.line, flow);
  }

  private shippedFlow(line: string): Flow {
    const flow = this.deps.shipped.flows.get(line);
    if (!flow) throw new AppError('not_found', `No IVR flow answers ${line}.`);
    return flow;
  }

  async list(ctx: RequestContext): Promise<LineFlows[]> {
    const newest = new Map((await repo.newestFlowVersions(this.deps.db)).map((v) => [v.line, v]));
    await this.audit(ctx, 'ivr.flows_read', null, {});
    return [...this.deps.shipped.flows.values()].map((shipped) => {
      const stored = newest.get(shipped.line);
      const flow = (stored?.flow as Flow | undefined) ?? shipped;
      return {
        line: shipped.line,
        name: flow.name,
        unit: flow.unit,
        version: stored?.version ?? 0,
        changedAt: stored?.createdAt.toISOString() ?? null,
        changedBy: stored?.createdByUsername ?? null,
      };
    });
  }

  /** The line's versions, the newest first, down to version 0 (the shipped file). */
  async versions(ctx: RequestContext, line: string): Promise<FlowVersion[]> {
    this.shippedFlow(line);
    const stored = await repo.flowVersions(this.deps.db, line);
    await this.audit(ctx, 'ivr.flow_versions_read', line, {});
    return [
      ...stored.map((v) => ({
        version: v.version,
        note: v.note,
        restoredFrom: v.restoredFrom,
        createdBy: v.createdByUsername,
        createdAt: v.createdAt.toISOString(),
      })),
      { version: 0, note: SHIPPED_NOTE, restoredFrom: null, createdBy: null, createdAt: null },
    ];
  }

  private async flowAt(line: string, version: number): Promise<unknown> {
    if (version === 0) return this.shippedFlow(line);
    this.shippedFlow(line);
    const stored = await repo.flowVersion(this.deps.db, line, version);
    if (!stored) throw new AppError('not_found', `The flow of ${line} has no version ${version}.`);
    return stored.flow;
  }

  async version(ctx: RequestContext, line: string, version: number): Promise<unknown> {
    const flow = await this.flowAt(line, version);
    await this.audit(ctx, 'ivr.flow_read', line, { version });
    return flow;
  }

  /** A new version of the line's flow, checked as the shipped files are; the line answers with it at once. */
  async save(ctx: RequestContext, line: string, raw: unknown, note: string): Promise<number> {
    this.shippedFlow(line);
    const flow = this.check(line, raw);
    return this.store(ctx, { line, flow, note, restoredFrom: null, action: 'ivr.flow_save' });
  }

  /** Copies version `to` forward as the newest: the history keeps what was undone. */
  async rollback(ctx: RequestContext, line: string, to: number, note: string): Promise<number> {
    const flow = this.check(line, await this.flowAt(line, to));
    return this.store(ctx, { line, flow, note, restoredFrom: to, action: 'ivr.flow_rollback' });
  }

  /** A unified diff of two versions' flows (as pretty JSON). */
  async diff(ctx: RequestContext, line: string, from: number, to: number): Promise<string> {
    const [a, b] = await Promise.all([this.flowAt(line, from), this.flowAt(line, to)]);
    await this.audit(ctx, 'ivr.flow_diff', line, { from, to });
    return createTwoFilesPatch(
      `${line} version ${from}`,
      `${line} version ${to}`,
      `${JSON.stringify(a, null, 2)}\n`,
      `${JSON.stringify(b, null, 2)}\n`,
      '',
      '',
      { context: 3 },
    );
  }

  private check(line: string, raw: unknown): Flow {
    let flow: Flow;
    try {
      flow = checkFlow(line, raw, this.deps.shipped.prompts);
    } catch (error) {
      if (error instanceof FlowError)
        throw new AppError('validation_failed', 'The flow was not saved: it does not pass the flow schema.', {
          issues: error.problems.map((message) => ({ path: 'body.flow', code: 'flow', message })),
        });
      throw error;
    }
    if (flow.line !== line)
      throw new AppError('validation_failed', `This is the flow of ${line}: its "line" cannot change (it says ${flow.line}).`, {
        issues: [{ path: 'body.flow.line', code: 'flow', message: `must be ${line}` }],
      });
    return flow;
  }

  private async store(
    ctx: RequestContext,
    v: { line: string; flow: Flow; note: string; restoredFrom: number | null; action: string },
  ): Promise<number> {
    const version = await this.deps.db.transaction().execute(async (trx) => {
      const made = await repo.insertNextFlowVersion(trx, {
        line: v.line,
        flow: v.flow,
        note: v.note,
        restoredFrom: v.restoredFrom,
        createdBy: ctx.actor?.kind === 'user' ? ctx.actor.userId : null,
        at: ctx.now,
      });
      await appendAudit(trx, ctx, {
        action: v.action,
        outcome: 'allowed',
        resourceType: 'ivr_flow',
        resourceId: v.line,
        details: { version: made, ...(v.restoredFrom !== null ? { restoredFrom: v.restoredFrom } : {}) },
      });
      return made;
    });
    this.use(v.flow);
    this.deps.log?.('ivr_flow_changed', { line: v.line, version });
    return version;
  }

  private async audit(ctx: RequestContext, action: string, line: string | null, details: Record<string, unknown>): Promise<void> {
    await this.deps.db
      .transaction()
      .execute((trx) =>
        appendAudit(trx, ctx, { action, outcome: 'allowed', resourceType: 'ivr_flow', ...(line ? { resourceId: line } : {}), details }),
      );
  }
}
