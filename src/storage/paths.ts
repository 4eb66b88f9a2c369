import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), whether running from src/ or from dist/src/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the Switchboard code');
    dir = parent;
  }
}

export const migrationsDir = (): string => path.join(packageRoot(), 'src', 'storage', 'migrations');
export const referenceDir = (): string => path.join(packageRoot(), 'reference');
