import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Two cores: files run in parallel up to two at a time; each uses its own database.
    maxWorkers: 2,
    // A bound against a hung test, well above the slowest default-timed test on a loaded machine (43 s).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // expect.poll waits for a page or a process to reach a state; vitest's default (1 s) is shorter than a password
    // hash or a page's first render takes on a loaded 2-core machine. A bound on waiting, never an assertion on time.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    reporters: ['default'],
  },
});
