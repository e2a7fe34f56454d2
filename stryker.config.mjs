import { fileURLToPath, URL } from 'node:url';

// Mutation testing: `npm run mutate`. See docs/mutation.md.
//
// By default the server-backed suite in test/e2e is left out: its fault-injection tests take
// seconds each and cover nearly every mutant, which puts a run far past 15 minutes on 2 cores.
// `STRYKER_E2E=1 npm run mutate` includes it (slow; meant for a long-running job).
const withE2e = process.env.STRYKER_E2E === '1';
// `STRYKER_TESTS=test/http npm run mutate -- --mutate 'src/http/**/*.ts'` counts only the tests
// under that folder: a lower bound on the score in minutes rather than hours, since a survivor no
// longer runs every test file that reaches it (its own incremental file under reports/).
const testsUnder = process.env.STRYKER_TESTS;
// Absolute: Stryker's own environment wrapper requires it without expanding <rootDir>.
const bailEnvironment = fileURLToPath(new URL('./stryker/bail-environment.cjs', import.meta.url));
const bailRunner = fileURLToPath(new URL('./stryker/bail-runner.cjs', import.meta.url));
const sequencer = fileURLToPath(new URL('./stryker/covering-files-sequencer.cjs', import.meta.url));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  // The logic that protects users: the request pipeline, the resources (access groups, member
  // resolution), the bulk engine, input reading and hook signature checks.
  mutate: [
    'src/http/**/*.ts',
    'src/api/**/*.ts',
    'src/bulk/**/*.ts',
    'src/zap/resolve.ts',
    'src/zap/hooks/*.ts',
    // The output vocabulary (field lists and renames), like samples.ts: static shapes.
    '!src/zap/hooks/output.ts',
    'src/zap/input.ts',
    'src/zap/fields.ts',
    // Never mutate tests or static samples / output-field definitions (only noise).
    '!**/*.test.ts',
    '!**/samples.ts',
    '!**/*sample*.ts',
  ],
  // Message wording is pinned by the exact-message assertions of the unit tests; mutating every
  // string literal (messages, help text, wording templates) would more than double the run and
  // measure the wording rather than the logic that protects users.
  mutator: { excludedMutations: ['StringLiteral'] },
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Only the test files that import the mutated file (on top of perTest coverage).
    enableFindRelatedTests: true,
    // Stryker's jest runner already forces collectCoverage: false, so the coverage thresholds
    // of `npm test` never apply; keep them off explicitly in case that ever changes.
    config: {
      coverageThreshold: {},
      // Skips the rest of a mutant's tests once one has failed (Stryker's jest runner can't bail).
      testEnvironment: bailEnvironment,
      // Loads only the test files that hold a mutant's covering tests (jest would load every
      // related file, and nearly all of them import the whole app).
      testSequencer: sequencer,
      // Once a mutant is killed, reports its remaining test files as skipped instead of loading them.
      runner: bailRunner,
      ...(testsUnder ? { testMatch: [`<rootDir>/${testsUnder}/**/*.test.ts`] } : {}),
      // test/docs.test.ts checks README against the baseline, which the sandbox has no copy of.
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/docs.test.ts',
        ...(withE2e ? [] : ['<rootDir>/test/e2e/']),
      ],
    },
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Run only the tests that cover each mutant.
  coverageAnalysis: 'perTest',
  incremental: true,
  // The default run's file is committed: a run on a fresh clone re-tests only the mutants whose
  // code or covering tests changed since (see docs/mutation.md). `--force` re-tests everything.
  incrementalFile: withE2e
    ? 'reports/stryker-incremental-e2e.json'
    : testsUnder
      ? `reports/stryker-incremental-${testsUnder.replace(/\W+/g, '-')}.json`
      : 'stryker/incremental.json',
  // Module-level constants (messages, samples, option lists) would each need a full reload and
  // the whole suite; they are reported as ignored instead.
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 80, low: 60, break: null },
  // 2 cores, but the tests mostly wait on real timers (retries, back-off, deadlines), so more
  // workers than cores pay off: 3 type-checkers + 3 jest workers, then 6 jest workers.
  concurrency: 6,
  // Tests wait on real clocks (retries, deadlines): generous factor, plus a fixed margin. A worker
  // restarted after a time-out loads the app again; with 5 s that first run timed out too, and
  // time-outs cascaded (docs/mutation.md).
  timeoutMS: 10000,
  timeoutFactor: 1.5,
  dryRunTimeoutMinutes: 10,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['dist', 'build', 'coverage', 'reports', '.tools', '*.zip', 'bench/tmp'],
};
