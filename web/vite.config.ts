import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The web app, built into dist/web, which the server serves at /. No source maps: the server is public and serves none. */
export default defineConfig({
  root: here,
  plugins: [react()],
  // The API contract (zod schemas, their types, the realtime event map, the shared vocabulary), as in web/tsconfig.json;
  // and pure domain code the page runs as the server does (the routing target expression's parser, checked as typed).
  resolve: {
    alias: [
      { find: /^@contracts\//, replacement: `${path.join(here, '..', 'src', 'contracts')}/` },
      { find: /^@domain\//, replacement: `${path.join(here, '..', 'src', 'domain')}/` },
    ],
  },
  build: { outDir: path.join(here, '..', 'dist', 'web'), emptyOutDir: true, sourcemap: false },
  logLevel: 'warn',
});
