/**
 * Jest runs several test files in one process. zapier-platform-core patches http(s).request once
 * per process (it marks the module `patchedByZapier`) around whatever request function exists
 * then, and nock installs its interceptor per test file. Put the real functions back before each
 * file so that nock and core wrap them afresh, in that order.
 */
import http from 'http';
import https from 'https';

type Restorable = {
  patchedByZapier?: boolean;
  sotionOriginal?: Pick<typeof http, 'request' | 'get'>;
};

for (const mod of [http, https] as Array<typeof http & Restorable>) {
  mod.sotionOriginal ??= { request: mod.request, get: mod.get };
  mod.request = mod.sotionOriginal.request;
  mod.get = mod.sotionOriginal.get;
  delete mod.patchedByZapier;
}
