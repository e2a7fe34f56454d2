// Lists every surviving mutant of the last run (from stryker/incremental.json) in
// docs/mutation-survivors.md, each with its class, and writes the equivalent ones with the reason
// into docs/mutation.md between `<!-- mutants:start -->` and `<!-- mutants:end -->`.
//
// A survivor is equivalent when it falls in one of the CLASSES below (recognised from the mutated
// code) or has an entry in stryker/equivalent.json ({file, mutator, code, replacement, reason},
// matched on the file, the mutator, the mutated line, its column and the replacement; `line` is
// for readers: it moves with every edit above it).
// Everything else is `open`: a behaviour no test pins yet.
//
// `npm run mutate:survivors` after `npm run mutate`; `node stryker/survivors.mjs --check` (run by
// test/docs.test.ts) fails when either file differs from what the baseline gives, or when an entry
// of stryker/equivalent.json matches no survivor (a test killed it, or the code moved on; an
// entry whose mutant timed out in a slow run is kept).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const input = join(root, 'stryker/incremental.json');
const registryFile = join(root, 'stryker/equivalent.json');
const listFile = join(root, 'docs/mutation-survivors.md');
const readmeFile = join(root, 'docs/mutation.md');
const START = '<!-- mutants:start -->';
const END = '<!-- mutants:end -->';

const report = JSON.parse(readFileSync(input, 'utf8'));
const registry = JSON.parse(readFileSync(registryFile, 'utf8'));

const squash = (text) =>
  String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();

/** Equivalent-mutant classes: [name, reason, test(mutant, the mutated line)]. */
const CLASSES = [
  [
    'transient flag nobody reads',
    'the flag is read in one place, the client’s retry decision, and only on errors the request ' +
      'pipeline raised for an answer it got; errors built elsewhere (step errors, out-of-time and ' +
      'throttle errors, the bulk step’s failures) and 429s (waited out before that decision) carry ' +
      'a value nothing reads.',
    (m, line) => m.mutatorName === 'BooleanLiteral' && /\btransient: (true|false)\b/.test(line),
  ],
];

const used = new Set();
const rows = [];
const totals = { killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
for (const [file, { mutants, source }] of Object.entries(report.files).sort()) {
  const lines = source.split('\n');
  for (const m of mutants) {
    if (m.status === 'Killed') totals.killed += 1;
    if (m.status === 'Timeout') totals.timeout += 1;
    if (m.status === 'Survived') totals.survived += 1;
    if (m.status === 'NoCoverage') totals.noCoverage += 1;
    const lineNo = m.location.start.line;
    const code = (lines[lineNo - 1] ?? '').trim();
    // A mutant over several lines is shown as the code it replaces (columns count from 1).
    const { start, end } = m.location;
    const original =
      start.line === end.line
        ? code
        : squash(
            [
              lines[start.line - 1].slice(start.column - 1),
              ...lines.slice(start.line, end.line - 1),
              lines[end.line - 1].slice(0, end.column - 1),
            ].join(' '),
          );
    const replacement = squash(m.replacement);
    const known = CLASSES.find(([, , test]) => test(m, code));
    const entryIndex = known
      ? -1
      : registry.findIndex(
          (e) =>
            e.file === file &&
            e.mutator === m.mutatorName &&
            (e.column === undefined || e.column === m.location.start.column) &&
            squash(e.code) === squash(code) &&
            squash(e.replacement) === replacement,
        );
    // An equivalent mutant that timed out (a slow run) still has its entry; a killed one does not.
    if (entryIndex >= 0 && m.status !== 'Killed') used.add(entryIndex);
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    rows.push({
      file,
      lineNo,
      column: m.location.start.column,
      mutator: m.mutatorName,
      status: m.status,
      cls: known ? known[0] : entryIndex >= 0 ? 'equivalent by reading' : 'open',
      reason: known ? undefined : registry[entryIndex]?.reason,
      code: original.slice(0, 90),
      replacement: replacement.slice(0, 70),
    });
  }
}
// A stable order (Stryker's own order changes from run to run): file, line, column, mutator.
rows.sort(
  (a, b) =>
    a.file.localeCompare(b.file) ||
    a.lineNo - b.lineNo ||
    a.column - b.column ||
    a.mutator.localeCompare(b.mutator) ||
    a.replacement.localeCompare(b.replacement),
);
const detected = totals.killed + totals.timeout;
const all = detected + totals.survived + totals.noCoverage;
const score = ((100 * detected) / all).toFixed(2);
const count = (cls) => rows.filter((r) => r.cls === cls).length;
const cell = (text) => text.replace(/\|/g, '\\|').replace(/`/g, "'");
const summary =
  `mutation score ${score}% (${detected} detected of ${all}; ` +
  `${totals.survived} survived, ${totals.noCoverage} without coverage)`;

const list = [
  '# Surviving mutants',
  '',
  `Generated by \`npm run mutate:survivors\` from \`stryker/incremental.json\`: ${summary}.`,
  '',
  'Classes: ' +
    [...CLASSES.map(([name]) => name), 'equivalent by reading', 'open']
      .map((cls) => `${cls}: ${count(cls)}`)
      .join(', ') +
    '. [mutation.md](mutation.md) gives the reason for each equivalent one.',
  '',
  '| File | Line | Mutator | Class | Code | Becomes |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.file} | ${r.lineNo} | ${r.mutator}${r.status === 'NoCoverage' ? ' (no coverage)' : ''} | ${r.cls} | \`${cell(r.code)}\` | \`${cell(r.replacement)}\` |`,
  ),
  '',
].join('\n');

const span = (text) => `\`${text.replace(/`/g, "'")}\``;
const mutant = (r) => `\`${r.file}\` ${r.mutator}, ${span(r.code)} becomes ${span(r.replacement)}`;
const section = [
  START,
  '',
  `Generated by \`npm run mutate:survivors\`: ${summary}. ` +
    `Equivalent: ${rows.length - count('open')} of ${rows.length} survivors; open: ${count('open')}.`,
  '',
  ...CLASSES.flatMap(([name, reason]) => {
    const members = rows.filter((r) => r.cls === name);
    return members.length === 0
      ? []
      : [`- **${name}** (${members.length}): ${reason}`, ...members.map((r) => `  - ${mutant(r)}`)];
  }),
  ...rows
    .filter((r) => r.cls === 'equivalent by reading')
    .map((r) => `- ${mutant(r)}: ${r.reason.charAt(0).toLowerCase()}${r.reason.slice(1)}`),
  ...(count('open') === 0
    ? []
    : [`- **open** (${count('open')}): listed in [mutation-survivors.md](mutation-survivors.md).`]),
  '',
  END,
].join('\n');

const readme = readFileSync(readmeFile, 'utf8');
const at = readme.indexOf(START);
const end = readme.indexOf(END);
if (at < 0 || end < at) throw new Error(`docs/mutation.md needs ${START} … ${END} markers`);
const newReadme = readme.slice(0, at) + section + readme.slice(end + END.length);
const stale = registry.filter((_, i) => !used.has(i));

if (check) {
  const problems = [
    ...(readFileSync(listFile, 'utf8') === list ? [] : ['docs/mutation-survivors.md']),
    ...(readme === newReadme ? [] : ['docs/mutation.md (between the mutants markers)']),
  ].map((f) => `${f} differs from stryker/incremental.json: run \`npm run mutate:survivors\``);
  problems.push(
    ...stale.map(
      (e) =>
        `stryker/equivalent.json: no survivor matches ${e.file}:${e.line} ${e.mutator} (${e.code})`,
    ),
  );
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(`survivors up to date: ${rows.length} (${count('open')} open); score ${score}%`);
} else {
  writeFileSync(listFile, list);
  writeFileSync(readmeFile, newReadme);
  for (const e of stale) {
    console.warn(`stryker/equivalent.json: no survivor matches ${e.file}:${e.line} ${e.mutator}`);
  }
  console.log(
    `${rows.length} survivors (${count('open')} open) written to docs/mutation-survivors.md and docs/mutation.md; score ${score}%`,
  );
}
