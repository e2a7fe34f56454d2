// Loaded before every test file: nock must patch http before zapier-platform-core loads.
import nock from 'nock';

// Unit tests run against the documented base URL, intercepted by nock; never the internet.
// (End-to-end tests under test/e2e allow loopback only.)
delete process.env.SOTION_API_BASE_URL;
delete process.env.SOTION_RUN_BUDGET_MS;
process.env.NODE_ENV = 'test';
nock.disableNetConnect();
