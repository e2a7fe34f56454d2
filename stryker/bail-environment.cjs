// Jest test environment for Stryker mutant runs only (see stryker.config.mjs): once a test fails
// for the active mutant, the mutant is killed, so the remaining tests of that run are skipped.
// Stryker's jest runner cannot bail by itself; without this every covering test runs for every
// mutant. Outside a mutant run (plain jest, Stryker's dry run) it behaves as the node environment.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { TestEnvironment } = require('jest-environment-node');

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
/** Mutants (by id) that already failed a test in this worker process. */
const killed = new Set();

class BailEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) return;
    if (event.name === 'hook_failure' || (event.name === 'test_done' && event.test.errors.length)) {
      killed.add(mutant);
    } else if (killed.has(mutant)) {
      if (event.name === 'run_describe_start') event.describeBlock.mode = 'skip';
      else if (event.name === 'test_start') event.test.mode = 'skip';
    }
  }
}

module.exports = BailEnvironment;
