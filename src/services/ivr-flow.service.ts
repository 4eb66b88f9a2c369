import { AppError } from '../domain/errors/app-error.js';
import { checkFlow, type Flow, FlowError, type PromptCatalog } from '../domain/ivr/flow.js';
import type { Db } from '../storage/database.js';
import type { RequestContext } from './audit.service.js';
import { type ConfigKey, type ConfigVersion, ConfigVersions } from './config-versions.service.js';

/**
 * The IVR flows as the admin console changes them (issue #20): each line's flow in versions (config-versions.service)
 * — version 0 is the file shipped in reference/ivr — checked by the same schema and prompt catalogue as the files.
 * The flow maps the call controls read are attached here and changed in place: on this node at once, on the others
 * at their next `refresh` (a poll). A call keeps the flow it started in.
 */

export type LineFlows = { line: string; name: string; unit: string; version: number; changedAt: string | null; changedBy: string | null };

export class IvrFlows {
  private readonly attached = new Set<Map<string, Flow>>();
  private readonly versions_: ConfigVersions<Flow>;

  constructor(deps: {
    db: Db;
    /** The flows and prompts read from reference/ivr at start: version 0 of each line. */
    shipped: { flows: ReadonlyMap<string, Flow>; prompts: PromptCatalog };
    log?: (event: string, details: Record<string, unknown>) => void;
  }) {
    this.versions_ = new ConfigVersions<Flow>({
      db: deps.db,
      kind: 'ivr_flow',
      describe: (line) => `IVR flow for ${line}`,
      shipped: deps.shipped.flows,
      check: (line, raw) => checkLineFlow(line, raw, deps.shipped.prompts),
      use: (line, flow) => {
        for (const live of this.attached) live.set(line, flow);
      },
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** A flow map a call control reads: it gets each line's newest version now, and every change after. */
  async attach(live: Map<string, Flow>): Promise<void> {
    this.attached.add(live);
    await this.refresh();
  }

  /** Reads each line's newest version into every attached map (another node's change, on a poll). */
  async refresh(): Promise<void> {
    if (this.attached.size > 0) await this.versions_.refresh();
  }

  async list(ctx: RequestContext): Promise<LineFlows[]> {
    return (await this.versions_.list(ctx)).map((k: ConfigKey<Flow>) => ({
      line: k.key,
      name: k.current.name,
      unit: k.current.unit,
      version: k.version,
      changedAt: k.changedAt,
      changedBy: k.changedBy,
    }));
  }

  versions(ctx: RequestContext, line: string): Promise<ConfigVersion[]> {
    return this.versions_.versions(ctx, line);
  }

  version(ctx: RequestContext, line: string, version: number): Promise<unknown> {
    return this.versions_.version(ctx, line, version);
  }

  save(ctx: RequestContext, line: string, raw: unknown, note: string): Promise<number> {
    return this.versions_.save(ctx, line, raw, note);
  }

  rollback(ctx: RequestContext, line: string, to: number, note: string): Promise<number> {
    return this.versions_.rollback(ctx, line, to, note);
  }

  diff(ctx: RequestContext, line: string, from: number, to: number): Promise<string> {
    return this.versions_.diff(ctx, line, from, to);
  }
}

/** A flow for `line`: the flow schema and prompt catalogue, as the shipped files pass them; its line cannot change. */
function checkLineFlow(line: string, raw: unknown, prompts: PromptCatalog): Flow {
  let flow: Flow;
  try {
    flow = checkFlow(line, raw, prompts);
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
