import { defineApp, version as platformVersion } from 'zapier-platform-core';
import pkg from './package.json';
import { creates } from './creates';
import { searchOrCreates, searches } from './searches';
import authentication from './src/zap/authentication';
import { addSotionHeaders, mapSotionErrors } from './src/http/middleware';
import { triggers } from './triggers';

export default defineApp({
  version: pkg.version,
  platformVersion,
  authentication,
  beforeRequest: [addSotionHeaders],
  afterResponse: [mapSotionErrors],
  flags: {
    cleanInputData: false,
    // Our afterResponse handles 429 itself, reading Retry-After and X-RateLimit-Reset.
    throwForThrottlingEarly: false,
  },
  triggers,
  creates,
  searches,
  searchOrCreates,
});
