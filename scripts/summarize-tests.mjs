// Reads vitest's JSON reports and prints one closing line, "N passed, N failed";
// failed static checks (build, typecheck, lint) and missing reports count as failures.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir = '.test-results', checksFailedArg = '0'] = process.argv.slice(2);
const runs = [
  ['embedded PostgreSQL run', 'embedded.json'],
  ['external PostgreSQL run', 'external.json'],
  ['run with the clock a year ahead', 'faked-clock.json'],
];
let passed = 0;
let failed = Number(checksFailedArg);
let skipped = 0;
for (const [label, file] of runs) {
  const full = path.join(dir, file);
  if (!existsSync(full)) {
    console.log(`${label}: no report (the run did not complete)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(full, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A suite that failed to load has no failed tests but is a failure all the same.
  const brokenFiles = report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
  failed += brokenFiles;
  console.log(
    `${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed in ${report.testResults.length} files${brokenFiles ? ` (${brokenFiles} files failed to run)` : ''}`,
  );
}
if (Number(checksFailedArg) > 0) console.log(`static checks failed: ${checksFailedArg}`);
if (skipped > 0) console.log(`skipped: ${skipped} (a skipped test is a failure here)`);
failed += skipped;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
