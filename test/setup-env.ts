// Loaded before every test file.
import net from 'node:net';

// Unit tests run against the documented base URL, intercepted by nock (test/helpers.ts);
// end-to-end tests point it at the sandbox (test/e2e/harness.ts).
delete process.env.SOTION_API_BASE_URL;
delete process.env.SOTION_RUN_BUDGET_MS;
process.env.NODE_ENV = 'test';

/**
 * Tests never reach the internet: a socket connects to loopback only (the sandbox, a test's own
 * server), whatever made it (core's client, fetch, nock letting a request through). Put once on
 * the process's net.Socket, which every test file shares. A refused connection fails as a
 * connection error does, with the host in its message and the code E_TESTS_LOOPBACK_ONLY.
 */
type Target = { host?: string; port?: unknown; path?: string | null };
const GUARD = Symbol.for('sotion.tests.loopbackOnly');
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3})$/;
const socket = net.Socket.prototype as net.Socket & { [GUARD]?: true };
if (!socket[GUARD]) {
  socket[GUARD] = true;
  const connect = socket.connect;
  /**
   * Where a connect call goes: node passes [options, callback] from net.connect, options from
   * tls.connect, or the caller's arguments. A `path` is a local socket, as net itself reads it.
   */
  const targetOf = (args: unknown[]): Target => {
    const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'object' && first !== null) return first as Target;
    if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
    return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  };
  socket.connect = function (this: net.Socket, ...args: unknown[]) {
    const { host = 'localhost', port, path } = targetOf(args);
    if (path || LOOPBACK.test(host)) {
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    }
    // The code is what the integration's "could not be reached (…)" message shows.
    const refused = Object.assign(
      new Error(`tests reach loopback only: refused a connection to ${host}:${String(port)}`),
      { code: 'E_TESTS_LOOPBACK_ONLY' },
    );
    process.nextTick(() => this.destroy(refused));
    return this;
  } as typeof socket.connect;
}

// Core's memory checker ends a Lambda process past 450 MB after 250 runs, so that Zapier starts a
// fresh one. Here the process is a jest worker that runs many files, and its count starts again
// with each file (each loads core anew): a file past 250 runs (test/e2e/hooks.e2e.test.ts makes
// about 300) would end the worker whenever it is past 450 MB by then.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- core's constants, no types
const coreConstants = require('zapier-platform-core/src/constants') as { KILL_MIN_LIMIT: number };
coreConstants.KILL_MIN_LIMIT = Number.POSITIVE_INFINITY;
