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
/** The first line of a failure message, without colour codes, cut to a readable length. */
function firstLine(message) {
  const text = String(message ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes in vitest's messages
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .find((line) => line.trim() !== '');
  return (text ?? '').trim().slice(0, 300);
}

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
  // Named here, at the end, because a long log is often read from its tail only.
  for (const file of report.testResults) {
    const where = path.relative(process.cwd(), file.name);
    const failures = file.assertionResults.filter((a) => a.status === 'failed');
    if (file.status === 'failed' && failures.length === 0) {
      console.log(`  FAILED to run: ${where}: ${firstLine(file.message)}`);
    }
    for (const a of failures) {
      console.log(`  FAILED: ${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    }
  }
  console.log(
    `${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed in ${report.testResults.length} files${brokenFiles ? ` (${brokenFiles} files failed to run)` : ''}`,
  );
}
if (Number(checksFailedArg) > 0) console.log(`static checks failed: ${checksFailedArg}`);
if (skipped > 0) console.log(`skipped: ${skipped} (a skipped test is a failure here)`);
failed += skipped;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
