// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config file
const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // The node environment, printing console output only for failing tests (TEST_LOGS=1: all of it).
  testEnvironment: '<rootDir>/test/quiet-environment.ts',
  // TypeScript is only stripped here (swc, per file); `npm run typecheck` checks the types.
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Built copies (`npm start` writes .tools/, with a package.json of its own).
  modulePathIgnorePatterns: [
    '<rootDir>/dist/',
    '<rootDir>/build/',
    '<rootDir>/.tools/',
    '<rootDir>/.stryker-tmp/',
  ],
  setupFiles: ['<rootDir>/test/reset-http.ts', '<rootDir>/test/setup-env.ts'],
  collectCoverageFrom: [
    'index.ts',
    'src/**/*.ts',
    'triggers/**/*.ts',
    'creates/**/*.ts',
    'searches/**/*.ts',
  ],
  // A four-line summary (a figure under its threshold fails the run); `--coverageReporters=html`
  // writes the per-line report to coverage/.
  coverageReporters: ['text-summary'],
  coverageThreshold: { global: { branches: 95, lines: 95, functions: 95, statements: 95 } },
  testTimeout: 20000,
  // jest's default is one worker less than the cores: a single worker on 2 cores. Most tests are
  // CPU-bound (their waits run on test/fast-clock.ts), but the end-to-end files wait on the
  // sandbox over real HTTP (the flood test about 20 s): a third worker on 2 cores uses what they
  // leave idle (docs/development.md). Computed: jest reads a percentage above 100% as a number
  // of workers ('150%' would start 150).
  maxWorkers: Math.ceil(availableParallelism() * 1.5),
  // A worker past 350 MB of heap is replaced between files, which keeps each worker's memory
  // under about 650 MB. Core's own memory checker, which would end a grown worker, is off in tests
  // (test/setup-env.ts). At 1 GB the suite measured 0.97 times the time (pairs 0.87 and 1.07),
  // with workers past 1 GB: not taken.
  workerIdleMemoryLimit: '350MB',
};
