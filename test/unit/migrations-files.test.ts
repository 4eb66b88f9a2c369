import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, MigrationError } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';

describe('migration files', () => {
  it('are ordered, uniquely versioned NNNN_name.sql files', () => {
    const migrations = loadMigrations(migrationsDir());
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort());
    for (const m of migrations) expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses badly named or duplicate versions', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-mig-'));
    writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(dir, '0001_b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(MigrationError);
    const other = mkdtempSync(path.join(os.tmpdir(), 'sb-mig-'));
    writeFileSync(path.join(other, 'add-things.sql'), 'SELECT 1;');
    expect(() => loadMigrations(other)).toThrow(/not named NNNN_name.sql/);
  });
});
