import { createTwoFilesPatch } from 'diff';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import type { ConfigKind } from '../storage/repositories/config-version.repository.js';
import * as repo from '../storage/repositories/config-version.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * A part of the center's configuration in versions (issue #20: the IVR flows, the intake forms and dispositions):
 * version 0 is what ships in reference/, each edit or rollback the next version — checked as the shipped files are,
 * with a diff between any two and a rollback that copies an earlier one forward. The newest version is in use: it is
 * handed to `use` on this node when saved, and on the others when they `refresh` (a poll), so a change needs no
 * restart. Each read and change is audited.
 */

export type ConfigVersion = {
  version: number;
  note: string;
  restoredFrom: number | null;
  createdBy: string | null;
  createdAt: string | null;
};

export type ConfigKey<T> = { key: string; current: T; version: number; changedAt: string | null; changedBy: string | null };

export const SHIPPED_NOTE = 'as shipped (reference/)';

export class ConfigVersions<T> {
  constructor(
    private readonly deps: {
      db: Db;
      kind: ConfigKind;
      /** What this configuration is called in messages ("the flow of +16155550100", "the intake forms"). */
      describe: (key: string) => string;
      /** Version 0 of each key: what ships. */
      shipped: ReadonlyMap<string, T>;
      /** Checks a body (the schema the shipped files pass, and what the code relies on); throws AppError. */
      check: (key: string, raw: unknown) => T;
      /** Puts a version in use (this node). */
      use: (key: string, value: T) => void;
      log?: (event: string, details: Record<string, unknown>) => void;
    },
  ) {}

  /** Puts each key's newest version in use (at start, and on a poll: another node's change). */
  async refresh(): Promise<void> {
    for (const stored of await repo.newestVersions(this.deps.db, this.deps.kind)) {
      if (!this.deps.shipped.has(stored.key)) continue;
      let value: T;
      try {
        value = this.deps.check(stored.key, stored.body);
      } catch (error) {
        // Checked when saved; refused now only if what it relies on (prompts, queues) changed since.
        this.deps.log?.('config_version_refused', { kind: this.deps.kind, key: stored.key, version: stored.version, error: String(error) });
        continue;
      }
      this.deps.use(stored.key, value);
    }
  }

  private shipped(key: string): T {
    const value = this.deps.shipped.get(key);
    if (value === undefined) throw new AppError('not_found', `There is no ${this.deps.describe(key)}.`);
    return value;
  }

  /** Each key: what is in use, and its version. */
  async list(ctx: RequestContext): Promise<ConfigKey<T>[]> {
    const newest = new Map((await repo.newestVersions(this.deps.db, this.deps.kind)).map((v) => [v.key, v]));
    await this.audit(ctx, `${this.deps.kind}.list`, null, {});
    return [...this.deps.shipped.entries()].map(([key, shipped]) => {
      const stored = newest.get(key);
      return {
        key,
        current: (stored?.body as T | undefined) ?? shipped,
        version: stored?.version ?? 0,
        changedAt: stored?.createdAt.toISOString() ?? null,
        changedBy: stored?.createdByUsername ?? null,
      };
    });
  }

  /** A key's versions, the newest first, down to version 0 (what ships). */
  async versions(ctx: RequestContext, key: string): Promise<ConfigVersion[]> {
    this.shipped(key);
    const stored = await repo.versionsOf(this.deps.db, this.deps.kind, key);
    await this.audit(ctx, `${this.deps.kind}.versions_read`, key, {});
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

  private async at(key: string, version: number): Promise<unknown> {
    const shipped = this.shipped(key);
    if (version === 0) return shipped;
    const stored = await repo.versionOf(this.deps.db, this.deps.kind, key, version);
    if (!stored) throw new AppError('not_found', `${capital(this.deps.describe(key))} has no version ${version}.`);
    return stored.body;
  }

  async version(ctx: RequestContext, key: string, version: number): Promise<unknown> {
    const body = await this.at(key, version);
    await this.audit(ctx, `${this.deps.kind}.read`, key, { version });
    return body;
  }

  /** A new version, checked; in use at once. */
  async save(ctx: RequestContext, key: string, raw: unknown, note: string): Promise<number> {
    this.shipped(key);
    return this.store(ctx, key, this.deps.check(key, raw), note, null);
  }

  /** Copies version `to` forward as the newest: the history keeps what was undone. */
  async rollback(ctx: RequestContext, key: string, to: number, note: string): Promise<number> {
    return this.store(ctx, key, this.deps.check(key, await this.at(key, to)), note, to);
  }

  /** A unified diff of two versions (as pretty JSON). */
  async diff(ctx: RequestContext, key: string, from: number, to: number): Promise<string> {
    const [a, b] = await Promise.all([this.at(key, from), this.at(key, to)]);
    await this.audit(ctx, `${this.deps.kind}.diff`, key, { from, to });
    const name = this.deps.describe(key);
    return createTwoFilesPatch(
      `${name}, version ${from}`,
      `${name}, version ${to}`,
      `${JSON.stringify(a, null, 2)}\n`,
      `${JSON.stringify(b, null, 2)}\n`,
      '',
      '',
      { context: 3 },
    );
  }

  private async store(ctx: RequestContext, key: string, value: T, note: string, restoredFrom: number | null): Promise<number> {
    const version = await this.deps.db.transaction().execute(async (trx) => {
      const made = await repo.insertNextVersion(trx, this.deps.kind, {
        key,
        body: value,
        note,
        restoredFrom,
        createdBy: ctx.actor?.kind === 'user' ? ctx.actor.userId : null,
        at: ctx.now,
      });
      await appendAudit(trx, ctx, {
        action: restoredFrom === null ? `${this.deps.kind}.save` : `${this.deps.kind}.rollback`,
        outcome: 'allowed',
        resourceType: this.deps.kind,
        resourceId: key,
        details: { version: made, ...(restoredFrom !== null ? { restoredFrom } : {}) },
      });
      return made;
    });
    this.deps.use(key, value);
    this.deps.log?.('config_changed', { kind: this.deps.kind, key, version });
    return version;
  }

  private async audit(ctx: RequestContext, action: string, key: string | null, details: Record<string, unknown>): Promise<void> {
    await this.deps.db
      .transaction()
      .execute((trx) =>
        appendAudit(trx, ctx, { action, outcome: 'allowed', resourceType: this.deps.kind, ...(key ? { resourceId: key } : {}), details }),
      );
  }
}

const capital = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
