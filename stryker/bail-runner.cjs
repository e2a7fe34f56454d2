// Jest test runner for Stryker runs only (see stryker.config.mjs): jest's in-band runner, except
// that once the active mutant is killed (a test failed, see bail-environment.cjs), the remaining
// test files of that run are reported as skipped instead of loaded. Loading a test file (the whole
// app and zapier-platform-core) costs more than most of its tests; without this, a mutant killed
// by the first file still loaded every other covering file. Outside a mutant run it runs every
// file, as jest does.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { default: TestRunner, EmittingTestRunner } = require('jest-runner');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { createEmptyTestResult } = require('@jest/test-result');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const Emittery = require('emittery');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { activeMutant, killed } = require('./bail-state.cjs');

/** What jest's runner reports; forwarded from the inner runner. */
const EVENTS = [
  'test-file-start',
  'test-file-success',
  'test-file-failure',
  'test-case-start',
  'test-case-result',
];

/**
 * A test file left out because the mutant is already killed: one pending placeholder test (jest
 * reports a file without tests as a failed suite, which Stryker would take for a runtime error).
 */
const skippedFile = (testFilePath) => ({
  ...createEmptyTestResult(),
  testFilePath,
  skipped: true,
  numPendingTests: 1,
  testResults: [
    {
      ancestorTitles: [],
      duration: 0,
      failureDetails: [],
      failureMessages: [],
      fullName: 'not loaded: the mutant is already killed',
      location: null,
      numPassingAsserts: 0,
      status: 'pending',
      title: 'not loaded: the mutant is already killed',
    },
  ],
});

class BailRunner extends EmittingTestRunner {
  #events = new Emittery();
  #inner;

  constructor(globalConfig, context) {
    super(globalConfig, context);
    this.#inner = new TestRunner(globalConfig, context);
    for (const name of EVENTS) this.#inner.on(name, (args) => this.#events.emit(name, args));
  }

  on(eventName, listener) {
    return this.#events.on(eventName, listener);
  }

  // Stryker always runs jest in band; so does this runner, one file at a time.
  async runTests(tests, watcher) {
    for (const test of tests) {
      if (watcher.isInterrupted()) return;
      const mutant = activeMutant();
      if (mutant !== undefined && killed.has(mutant)) {
        await this.#events.emit('test-file-start', [test]);
        await this.#events.emit('test-file-success', [test, skippedFile(test.path)]);
      } else {
        await this.#inner.runTests([test], watcher, { serial: true });
      }
    }
  }
}

module.exports = BailRunner;
