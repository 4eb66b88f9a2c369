import path from 'node:path';

/**
 * The layer rules of docs/ARCHITECTURE.md, as a pure check over a file graph ({ file, source } pairs with paths
 * relative to the package root, e.g. 'src/http/routes/call.routes.ts'). test/unit/layers.test.ts feeds it the real
 * src/ tree and fake graphs that break each rule, so the check is shown to pass and to fail.
 *
 * Imports are read with a scan of the import/export statements (the TypeScript 7 package has no compiler API);
 * comments are removed first so a comment that mentions a query or an import counts for nothing.
 */

export type SourceFile = { file: string; source: string };

export type RuleName =
  | 'outer-layer-imports-storage'
  | 'outer-layer-builds-queries'
  | 'domain-imports-outside-domain'
  | 'domain-imports-io-package'
  | 'contracts-import-beyond-zod'
  | 'services-build-queries'
  | 'inner-layer-imports-outer'
  | 'cli-builds-queries'
  | 'cli-imports-repositories';

export type Violation = { rule: RuleName; file: string; detail: string };

export type Import = { specifier: string; typeOnly: boolean };

/** Removes block and line comments (a `//` inside a URL such as 'http://x' is kept: it follows a colon). */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\'"`])\/\/.*$/gm, '$1');
}

/** Every import, re-export and dynamic import of a file, with whether it brings types only. */
export function importsOf(source: string): Import[] {
  const code = stripComments(source);
  const found: Import[] = [];
  const fromStatement = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const match of code.matchAll(fromStatement)) {
    const clause = match[3] ?? '';
    const specifier = match[4] ?? '';
    const braced = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const namesAllTypes =
      braced !== null &&
      (braced[1] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '')
        .every((name) => name.startsWith('type '));
    found.push({ specifier, typeOnly: match[2] !== undefined || namesAllTypes });
  }
  for (const match of code.matchAll(/(?:^|[;\n}])\s*import\s*['"]([^'"]+)['"]/g)) {
    found.push({ specifier: match[1] ?? '', typeOnly: false });
  }
  for (const match of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ specifier: match[1] ?? '', typeOnly: false });
  }
  return found;
}

/** The package-relative path a relative specifier points at ('.js' written for a '.ts' file), or null for a package. */
export function resolveImport(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  return joined.replace(/\.js$/, '.ts').replace(/\.jsx$/, '.tsx');
}

/** Query-builder and raw-SQL calls that belong in src/storage/repositories only. */
export const QUERY_PATTERNS: { label: string; pattern: RegExp }[] = [
  { label: 'selectFrom', pattern: /\.selectFrom\s*\(/ },
  { label: 'insertInto', pattern: /\.insertInto\s*\(/ },
  { label: 'updateTable', pattern: /\.updateTable\s*\(/ },
  { label: 'deleteFrom', pattern: /\.deleteFrom\s*\(/ },
  { label: 'mergeInto', pattern: /\.mergeInto\s*\(/ },
  { label: 'selectNoFrom', pattern: /\.selectNoFrom\s*\(/ },
  { label: 'executeQuery', pattern: /\.executeQuery\s*\(/ },
  { label: 'sql template', pattern: /(?<![\w$.])sql\s*(<[^`;]*>)?\s*`/ },
  { label: 'sql helper', pattern: /(?<![\w$.])sql\s*\.\s*(raw|ref|lit|id|table|join|val|value)\s*\(/ },
];

/** Packages that do I/O: the domain may use none of them (pure helpers such as node:crypto hashing or node:net isIP are fine). */
const IO_PACKAGES =
  /^(node:)?(fs|fs\/promises|http|https|http2|dgram|dns|child_process|worker_threads|cluster|tls|readline)$|^(pg|kysely|fastify|@fastify\/.*|undici|ws|playwright-core|drachtio-srf)$/;

function layerOf(file: string): string | null {
  const match = /^src\/([^/]+)\//.exec(file);
  return match?.[1] ?? null;
}

/**
 * Storage modules an outer layer may still reference: the file locations (no database in them), and, as types only,
 * the database handle and the migration list it passes on to services.
 */
function storageImportAllowed(target: string, typeOnly: boolean): boolean {
  if (target === 'src/storage/paths.ts') return true;
  return typeOnly && (target === 'src/storage/database.ts' || target === 'src/storage/migrator.ts');
}

function queryHits(source: string): string[] {
  const code = stripComments(source);
  const hits: string[] = [];
  code.split('\n').forEach((text, index) => {
    for (const { label, pattern } of QUERY_PATTERNS) if (pattern.test(text)) hits.push(`line ${index + 1}: ${label}`);
  });
  return hits;
}

/** Every break of the layer rules in the given files. */
export function layerViolations(files: SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const { file, source } of files) {
    const layer = layerOf(file);
    if (layer === null) continue;
    for (const { specifier, typeOnly } of importsOf(source)) {
      const target = resolveImport(file, specifier);
      const detail = `imports '${specifier}'${typeOnly ? ' (types)' : ''}`;
      if (['http', 'telephony', 'realtime', 'domain'].includes(layer) && target?.startsWith('src/storage/')) {
        if (!storageImportAllowed(target, typeOnly)) violations.push({ rule: 'outer-layer-imports-storage', file, detail });
      }
      if (layer === 'domain') {
        // The contracts are constants and zod schemas (no I/O), so the domain may read the shared vocabulary there.
        if (target !== null && !target.startsWith('src/domain/') && !target.startsWith('src/contracts/')) {
          violations.push({ rule: 'domain-imports-outside-domain', file, detail });
        }
        if (target === null && IO_PACKAGES.test(specifier)) violations.push({ rule: 'domain-imports-io-package', file, detail });
      }
      // The composition root opens the database and runs migrations, but reaches data only through services.
      if (layer === 'cli' && target?.startsWith('src/storage/repositories/')) {
        violations.push({ rule: 'cli-imports-repositories', file, detail });
      }
      if ((layer === 'services' || layer === 'storage') && target !== null) {
        const outer = /^src\/(http|telephony|cli|jobs)\//.exec(target);
        if (outer !== null) violations.push({ rule: 'inner-layer-imports-outer', file, detail });
      }
      if (layer === 'contracts') {
        const allowed = target === null ? specifier === 'zod' : target.startsWith('src/contracts/');
        if (!allowed) violations.push({ rule: 'contracts-import-beyond-zod', file, detail });
      }
    }
    const queryRule: RuleName | null =
      layer === 'services'
        ? 'services-build-queries'
        : layer === 'cli'
          ? 'cli-builds-queries'
          : ['http', 'telephony', 'realtime', 'domain', 'contracts'].includes(layer)
            ? 'outer-layer-builds-queries'
            : null;
    if (queryRule !== null) {
      const rule = queryRule;
      for (const hit of queryHits(source)) violations.push({ rule, file, detail: hit });
    }
  }
  return violations;
}
