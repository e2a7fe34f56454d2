// Jest test environment for Stryker runs only (see stryker.config.mjs). Outside Stryker (plain
// jest) it behaves as the node environment.
//
// - Mutant runs: once a test fails for the active mutant, the mutant is killed, so the remaining
//   tests of that file are skipped (and bail-runner.cjs loads no further file). Stryker's jest
//   runner cannot bail by itself; without this every covering test runs for every mutant.
// - Dry run (perTest coverage): records which test files hold the tests that cover each mutant,
//   and how long each file took, for stryker/covering-files-sequencer.cjs (see there).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { appendFileSync } = require('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { TestEnvironment } = require('jest-environment-node');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { coverageMapPath, fullName } = require('./coverage-map.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { activeMutant, killed } = require('./bail-state.cjs');

class BailEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.rootDir = config.projectConfig.rootDir;
    this.testPath = context.testPath;
    /** Mutant ids the tests of this file cover (dry run only). */
    this.covered = new Set();
    this.startedAt = Date.now();
  }

  /** Stryker's shared instrumenter context, when this runs under Stryker. */
  strykerContext() {
    const namespace = this.global.__strykerGlobalNamespace__;
    return namespace ? this.global[namespace] : undefined;
  }

  async handleTestEvent(event) {
    const mutant = activeMutant();
    if (mutant === undefined) {
      // Runs before Stryker's own handler, so the finished test's coverage is still filed under
      // its name.
      if (event.name === 'test_done') {
        const hits = this.strykerContext()?.mutantCoverage?.perTest?.[fullName(event.test)];
        for (const id of Object.keys(hits ?? {})) this.covered.add(id);
      }
      return;
    }
    if (event.name === 'hook_failure' || (event.name === 'test_done' && event.test.errors.length)) {
      killed.add(mutant);
    } else if (killed.has(mutant)) {
      if (event.name === 'run_describe_start') event.describeBlock.mode = 'skip';
      else if (event.name === 'test_start') event.test.mode = 'skip';
    }
  }

  async teardown() {
    const coverage = this.strykerContext()?.mutantCoverage;
    if (activeMutant() === undefined && coverage) {
      const line = {
        file: this.testPath,
        ms: Date.now() - this.startedAt,
        mutants: [...this.covered],
        static: Object.keys(coverage.static ?? {}),
      };
      appendFileSync(coverageMapPath(this.rootDir), `${JSON.stringify(line)}\n`);
    }
    await super.teardown();
  }
}

module.exports = BailEnvironment;
