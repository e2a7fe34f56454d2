// Merges the result of a partial run (`npm run mutate -- --mutate <globs> --incrementalFile F`)
// into the committed baseline, stryker/incremental.json: `node stryker/merge.mjs F`.
//
// The part's mutated files replace the baseline's, and its test files (newer) replace theirs.
// Test ids are numbers given per report, so every test is matched by its file and name and the
// ids are given again; a mutant's covering or killing test that no longer exists is dropped (the
// next incremental run tests that mutant again). Then `npm run mutate:survivors`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baselineFile = join(root, 'stryker/incremental.json');
const partFile = process.argv[2];
if (!partFile) {
  console.error('usage: node stryker/merge.mjs <incremental file of a partial run>');
  process.exit(2);
}
const base = JSON.parse(readFileSync(baselineFile, 'utf8'));
const part = JSON.parse(readFileSync(partFile, 'utf8'));

const keyOf = (file, name) => `${file}\u0000${name}`;
const namesById = (report) => {
  const names = new Map();
  for (const [file, { tests }] of Object.entries(report.testFiles ?? {}))
    for (const test of tests) names.set(test.id, keyOf(file, test.name));
  return names;
};
const baseNames = namesById(base);
const partNames = namesById(part);

const testFiles = { ...base.testFiles, ...part.testFiles };
const ids = new Map();
let next = 0;
for (const file of Object.keys(testFiles).sort((a, b) => (a < b ? -1 : 1))) {
  const entry = testFiles[file];
  testFiles[file] = {
    ...entry,
    tests: entry.tests.map((test) => {
      const id = String(next++);
      ids.set(keyOf(file, test.name), id);
      return { ...test, id };
    }),
  };
}

const remap = (names, list) =>
  list === undefined
    ? undefined
    : list.map((id) => ids.get(names.get(id))).filter((id) => id !== undefined);
const withIds = (names, { mutants, ...rest }) => ({
  ...rest,
  mutants: mutants.map((m) => ({
    ...m,
    ...(m.coveredBy ? { coveredBy: remap(names, m.coveredBy) } : {}),
    ...(m.killedBy ? { killedBy: remap(names, m.killedBy) } : {}),
  })),
});

const files = {};
for (const [file, entry] of Object.entries(base.files))
  if (!(file in part.files)) files[file] = withIds(baseNames, entry);
for (const [file, entry] of Object.entries(part.files)) files[file] = withIds(partNames, entry);

// Mutant ids, like test ids, are given per report: numbered again so that each is unique.
let mutantId = 0;
const sorted = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1));
for (const [, entry] of sorted)
  entry.mutants = entry.mutants.map((m) => ({ ...m, id: String(mutantId++) }));
const merged = { ...base, files: Object.fromEntries(sorted), testFiles };
writeFileSync(baselineFile, `${JSON.stringify(merged, null, 2)}\n`);
const replaced = Object.keys(part.files).sort();
console.log(
  `merged ${replaced.length} file(s) into stryker/incremental.json: ${replaced.join(', ')}`,
);
