#!/usr/bin/env node
// The package's command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) and `npm start`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('switchboard: not built yet; run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
await import(entry.href);
