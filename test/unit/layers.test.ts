import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { importsOf, layerViolations, type RuleName, type SourceFile } from '../support/layer-rules.js';

/**
 * The layer rules (docs/ARCHITECTURE.md): http/, telephony/, realtime/ and domain/ never import storage/; domain/
 * imports only domain/ and contracts/ (and no I/O package); contracts/ imports only zod and contracts/; services/ and cli/ build no
 * query (SQL lives in src/storage/repositories), nor do http/, telephony/, realtime/ or domain/; cli/ (the composition
 * root: it opens the database) reaches data only through services; services/ and storage/ import no outer layer. The check itself is test/support/layer-rules.ts; the fake graphs
 * below prove each rule can fail.
 *
 * PENDING lists files other engineers of issue #16 are still moving, each with the rule it still breaks. The lead
 * removes an entry once its move is merged; an entry that no longer matches anything fails this test, so the list
 * can only shrink.
 */
const PENDING: { file: string; rule: RuleName; why: string }[] = [];

/** Lasting exceptions, each with why. */
const LASTING: { file: string; rule: RuleName; why: string }[] = [
  {
    file: 'src/http/error-handler.ts',
    rule: 'outer-layer-imports-storage',
    why: 'isDatabaseUnavailable classifies a driver error as 503 database_unavailable; it reads no data',
  },
];

const EXCEPTIONS = [...PENDING, ...LASTING];

function sourceFiles(): SourceFile[] {
  const root = packageRoot();
  return readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .map((name) => path.posix.join('src', name.split(path.sep).join('/')))
    .filter((file) => /\.(ts|tsx)$/.test(file))
    .map((file) => ({ file, source: readFileSync(path.join(root, file), 'utf8') }));
}

describe('layer rules on src/', () => {
  const violations = layerViolations(sourceFiles());

  it('holds everywhere except the files still being moved', () => {
    const pending = violations.filter((v) => !EXCEPTIONS.some((p) => p.file === v.file && p.rule === v.rule));
    expect(pending.map((v) => `${v.rule} ${v.file}: ${v.detail}`)).toEqual([]);
  });

  it('lists no pending file that already keeps the rules', () => {
    const stale = EXCEPTIONS.filter((p) => !violations.some((v) => v.file === p.file && v.rule === p.rule));
    expect(stale.map((p) => `${p.rule} ${p.file}`)).toEqual([]);
  });
});

describe('layer check', () => {
  const clean: SourceFile[] = [
    { file: 'src/domain/cases/status.ts', source: "import { createHash } from 'node:crypto';\nimport { x } from './x.js';" },
    { file: 'src/contracts/cases.ts', source: "import { z } from 'zod';\nimport { ZId } from './common.js';" },
    {
      file: 'src/http/routes/case.routes.ts',
      source:
        "import type { Db } from '../../storage/database.js';\nimport { openCase } from '../../services/case.service.js';\n// db.selectFrom('cases') in a comment counts for nothing\nimport { packageRoot } from '../../storage/paths.js';",
    },
    {
      file: 'src/services/case.service.ts',
      source:
        "import { findCase } from '../storage/repositories/case.repository.js';\n/* sql`select 1` in a comment */\nexport const f = (db) => db.transaction().execute((trx) => findCase(trx, 1));",
    },
    { file: 'src/storage/repositories/case.repository.ts', source: "import { sql } from 'kysely';\nconst q = sql`select 1`;" },
    { file: 'src/cli/main.ts', source: "import { openDatabase } from '../storage/database.js';" },
  ];

  it('finds nothing in a graph that keeps the rules', () => {
    expect(layerViolations(clean)).toEqual([]);
  });

  const broken: { name: string; file: SourceFile; rule: RuleName }[] = [
    {
      name: 'a route importing a repository',
      file: {
        file: 'src/http/routes/partner.routes.ts',
        source: "import { findAgency } from '../../storage/repositories/identity.repository.js';",
      },
      rule: 'outer-layer-imports-storage',
    },
    {
      name: 'a route importing schema types',
      file: { file: 'src/http/routes/call.routes.ts', source: "import type { CallsTable } from '../../storage/schema.js';" },
      rule: 'outer-layer-imports-storage',
    },
    {
      name: 'telephony importing a repository lazily',
      file: { file: 'src/telephony/call-session.ts', source: "const m = await import('../storage/repositories/call.repository.js');" },
      rule: 'outer-layer-imports-storage',
    },
    {
      name: 'realtime re-exporting storage',
      file: { file: 'src/realtime/hub.ts', source: "export { openDatabase } from '../storage/database.js';" },
      rule: 'outer-layer-imports-storage',
    },
    {
      name: 'a route using the database value (not only its type)',
      file: { file: 'src/http/app.ts', source: "import { type Db, openDatabase } from '../storage/database.js';" },
      rule: 'outer-layer-imports-storage',
    },
    {
      name: 'a route running SQL through the handle it was given',
      file: { file: 'src/http/routes/routing.routes.ts', source: "const rows = await ctx.db.selectFrom('queues').selectAll().execute();" },
      rule: 'outer-layer-builds-queries',
    },
    {
      name: 'telephony updating the calls table',
      file: { file: 'src/telephony/call-control.ts', source: "await db.updateTable('calls').set({ state }).execute();" },
      rule: 'outer-layer-builds-queries',
    },
    {
      name: 'a service importing telephony',
      file: { file: 'src/services/simulation-control.ts', source: "import { CallControl } from '../telephony/call-control.js';" },
      rule: 'inner-layer-imports-outer',
    },
    {
      name: 'a repository importing a route',
      file: { file: 'src/storage/repositories/case.repository.ts', source: "import type { X } from '../../http/routes/case.routes.js';" },
      rule: 'inner-layer-imports-outer',
    },
    {
      name: 'the domain importing a service',
      file: { file: 'src/domain/cases/rules.ts', source: "import { openCase } from '../../services/case.service.js';" },
      rule: 'domain-imports-outside-domain',
    },
    {
      name: 'the domain importing storage',
      file: { file: 'src/domain/cases/rules.ts', source: "import type { Db } from '../../storage/database.js';" },
      rule: 'domain-imports-outside-domain',
    },
    {
      name: 'the domain reading files',
      file: { file: 'src/domain/ivr/flow.ts', source: "import { readFileSync } from 'node:fs';" },
      rule: 'domain-imports-io-package',
    },
    {
      name: 'a contract importing the domain',
      file: { file: 'src/contracts/partner.ts', source: "import { PURPOSE_CODES } from '../domain/safeguards/purpose.js';" },
      rule: 'contracts-import-beyond-zod',
    },
    {
      name: 'a contract importing another package',
      file: { file: 'src/contracts/cases.ts', source: "import { sql } from 'kysely';" },
      rule: 'contracts-import-beyond-zod',
    },
    {
      name: 'a service selecting',
      file: { file: 'src/services/audit.service.ts', source: "const rows = await trx\n  .selectFrom('audit_log').selectAll().execute();" },
      rule: 'services-build-queries',
    },
    {
      name: 'a service updating',
      file: { file: 'src/services/agency.service.ts', source: "await db.updateTable('agencies').set({ name }).execute();" },
      rule: 'services-build-queries',
    },
    {
      name: 'a service writing raw SQL',
      file: { file: 'src/services/health.service.ts', source: 'await sql<{ one: number }>`select 1 as one`.execute(db);' },
      rule: 'services-build-queries',
    },
    {
      name: 'a service using an sql helper',
      file: { file: 'src/services/retention.service.ts', source: "const c = sql.ref('cases.id');" },
      rule: 'services-build-queries',
    },
    {
      name: 'the command line inserting',
      file: { file: 'src/cli/simulate.command.ts', source: "await db.insertInto('calls').values(row).execute();" },
      rule: 'cli-builds-queries',
    },
    {
      name: 'the command line reading through a repository',
      file: { file: 'src/cli/main.ts', source: "import { findUserByUsername } from '../storage/repositories/identity.repository.js';" },
      rule: 'cli-imports-repositories',
    },
    {
      name: 'the command line deleting',
      file: { file: 'src/cli/main.ts', source: "await handle.db.deleteFrom('sessions').execute();" },
      rule: 'cli-builds-queries',
    },
  ];

  it('lets the domain read the shared vocabulary in contracts/, and still not storage/', () => {
    const vocabulary: SourceFile = {
      file: 'src/domain/access/access-control.ts',
      source: "import { ROLES, type Role } from '../../contracts/vocabulary.js';",
    };
    expect(layerViolations([...clean, vocabulary])).toEqual([]);
    const storage: SourceFile = {
      file: 'src/domain/access/access-control.ts',
      source:
        "import { ROLES, type Role } from '../../contracts/vocabulary.js';\nimport { findUser } from '../../storage/repositories/identity.repository.js';",
    };
    expect(layerViolations([...clean, storage]).map((v) => v.rule)).toEqual([
      'outer-layer-imports-storage',
      'domain-imports-outside-domain',
    ]);
  });

  for (const { name, file, rule } of broken) {
    it(`fails on ${name}`, () => {
      const found = layerViolations([...clean, file]);
      expect(found.map((v) => ({ rule: v.rule, file: v.file }))).toEqual([{ rule, file: file.file }]);
    });
  }

  it('reads type-only imports as types and mixed imports as values', () => {
    expect(
      importsOf(
        "import type { A } from './a.js';\nimport { type B, type C } from './b.js';\nimport { type D, e } from './d.js';\nimport './side.js';",
      ),
    ).toEqual([
      { specifier: './a.js', typeOnly: true },
      { specifier: './b.js', typeOnly: true },
      { specifier: './d.js', typeOnly: false },
      { specifier: './side.js', typeOnly: false },
    ]);
  });
});
