#!/usr/bin/env node
// `npm run reliability`: runs docs/RELIABILITY.md's catalogue of bad inputs (test/surface/reliability.test.ts,
// one test per row, against the built CLI: `npm run reliability` builds first) and prints the number
// of cases, one line per case (id, what, PASS/FAIL) and a summary; then, if scripts/fuzz.mjs exists,
// its quick run's summary line. Exit 1 if any case (or the fuzz run) fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'convnotes-reliability-report-'));
const report = join(tmp, 'vitest.json');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', 'test/surface/reliability.test.ts', '--reporter=json', `--outputFile=${report}`], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
});
if (!existsSync(report)) {
  process.stderr.write(r.stderr || r.stdout || '');
  process.stderr.write(`reliability: vitest wrote no report (exit ${r.status})\n`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(report, 'utf8'));
rmSync(tmp, { recursive: true, force: true });

const tests = results.testResults.flatMap((f) => f.assertionResults);
const rows = tests.filter((t) => /^[A-Z]\d\d /.test(t.title));
const others = tests.filter((t) => !/^[A-Z]\d\d /.test(t.title));
const failures = [];
console.log(`reliability catalogue (docs/RELIABILITY.md): ${rows.length} cases`);
for (const t of rows) {
  const [id, ...what] = t.title.split(' ');
  const ok = t.status === 'passed';
  if (!ok) failures.push(t);
  console.log(`${id}  ${ok ? 'PASS' : 'FAIL'}  ${what.join(' ')}`);
}
for (const t of others) {
  if (t.status !== 'passed') {
    failures.push(t);
    console.log(`---  FAIL  ${t.title}`);
  }
}
for (const t of failures) {
  const why = (t.failureMessages ?? []).join('\n').split('\n').slice(0, 6).join('\n    ');
  if (why) console.log(`\n${t.title}:\n    ${why}`);
}
if (results.testResults.some((f) => f.status === 'failed' && f.assertionResults.length === 0)) {
  failures.push({ title: 'test file' });
  console.log(`FAIL: the test file did not run: ${results.testResults.map((f) => f.message).join(' ')}`);
}
const passed = rows.filter((t) => t.status === 'passed').length;
console.log(`\nreliability: ${passed}/${rows.length} cases pass${failures.length ? `, ${failures.length} failing` : ''}`);

let fuzzFailed = false;
const fuzz = join(root, 'scripts', 'fuzz.mjs');
if (existsSync(fuzz)) {
  const f = spawnSync(process.execPath, [fuzz, '--quick'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = `${f.stdout ?? ''}`.trim().split('\n').filter(Boolean).at(-1) ?? '(no output)';
  fuzzFailed = f.status !== 0;
  console.log(`fuzz (scripts/fuzz.mjs --quick): ${last}${fuzzFailed ? ` [exit ${f.status}]` : ''}`);
} else {
  console.log('fuzz: skipped (scripts/fuzz.mjs is absent)');
}
process.exit(failures.length > 0 || fuzzFailed ? 1 : 0);
