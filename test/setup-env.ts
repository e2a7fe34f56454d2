// Loaded before every test file: nock must patch http before zapier-platform-core loads.
import nock from 'nock';

// Unit tests run against the documented base URL, intercepted by nock; never the internet.
// (End-to-end tests under test/e2e allow loopback only.)
delete process.env.SOTION_API_BASE_URL;
delete process.env.SOTION_RUN_BUDGET_MS;
process.env.NODE_ENV = 'test';
nock.disableNetConnect();

// Core's memory checker ends a Lambda process past 450 MB after 250 runs, so that Zapier starts a
// fresh one. Here the process is a jest worker that runs many files, and its count starts again
// with each file (each loads core anew): a file past 250 runs (test/e2e/hooks.e2e.test.ts makes
// about 300) would end the worker whenever it is past 450 MB by then.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- core's constants, no types
const coreConstants = require('zapier-platform-core/src/constants') as { KILL_MIN_LIMIT: number };
coreConstants.KILL_MIN_LIMIT = Number.POSITIVE_INFINITY;
