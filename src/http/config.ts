import { version as coreVersion } from 'zapier-platform-core';
import pkg from '../../package.json';

/** The documented base URL of Sotion's REST API v1 (every endpoint page uses /api/v1). */
export const DEFAULT_BASE_URL = 'https://api.sotion.so/api/v1';

/** Environment variable that points the integration at another Sotion API (tests, local sandboxes). */
export const BASE_URL_ENV = 'SOTION_API_BASE_URL';

export const APP_VERSION: string = pkg.version;
export const USER_AGENT = `sotion-zapier/${APP_VERSION} zapier-platform-core/${coreVersion}`;

/** Zapier gives every run 30 s; we keep a margin for start-up, output and Zapier's own work. */
export const DEFAULT_RUN_BUDGET_MS = 25_000;
/** Overrides the run budget (tests and benchmarks only). */
export const RUN_BUDGET_ENV = 'SOTION_RUN_BUDGET_MS';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export const isLoopbackHost = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);

/**
 * The API base URL, without a trailing slash. Only SOTION_API_BASE_URL can change it, and a
 * plain-http override is refused unless it points at this machine (a key must never travel
 * unencrypted over a network).
 */
export const resolveBaseUrl = (env: NodeJS.ProcessEnv = process.env): string => {
  const override = env[BASE_URL_ENV]?.trim();
  if (!override) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new Error(
      `${BASE_URL_ENV} is set to "${override}", which is not a URL. ` +
        `Unset it to use ${DEFAULT_BASE_URL}, or set a full URL such as http://127.0.0.1:4010/api/v1.`,
    );
  }
  const secure = url.protocol === 'https:';
  const localHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (!secure && !localHttp) {
    throw new Error(
      `${BASE_URL_ENV} is set to "${url.origin}", which is neither https nor a loopback address. ` +
        'API keys are only sent over https, or over http to this machine (localhost, 127.0.0.1, [::1]).',
    );
  }
  return url.toString().replace(/\/+$/, '');
};

/** The path every endpoint page documents, and the Authentication page's variant of it. */
const DOCUMENTED_PATH = '/api/v1';
const AUTH_PAGE_PATH = '/v1';

/**
 * The auth field holding the base URL where Sotion's API answered when the connection was made:
 * computed (session auth), returned by sessionConfig.perform and kept by Zapier in authData.
 */
export const BASE_URL_FIELD = 'apiBaseUrl';

/**
 * The bases sessionConfig.perform tries, in order: the documented base, then the same address with
 * the Authentication page's `/v1` instead of `/api/v1`. SOTION_API_BASE_URL takes the documented
 * base's place (`http://127.0.0.1:4010/api/v1` also tries `http://127.0.0.1:4010/v1`); an
 * override that does not end in /api/v1 is the only base tried.
 */
export const baseCandidates = (env: NodeJS.ProcessEnv = process.env): string[] => {
  const documented = resolveBaseUrl(env);
  if (!documented.endsWith(DOCUMENTED_PATH)) return [documented];
  return [documented, documented.slice(0, -DOCUMENTED_PATH.length) + AUTH_PAGE_PATH];
};

/**
 * The base URL of a connection: the one sessionConfig.perform found (authData.apiBaseUrl) when
 * it is one of `baseCandidates`, the documented base otherwise (none stored, or one found
 * against another SOTION_API_BASE_URL). A stored value is never trusted as
 * an address by itself: the key goes only to Sotion's own bases (or the override's).
 */
export const baseUrlOf = (
  authData: Readonly<Record<string, unknown>> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string => {
  const candidates = baseCandidates(env);
  const stored = authData?.[BASE_URL_FIELD];
  const found = typeof stored === 'string' ? stored.trim().replace(/\/+$/, '') : undefined;
  return candidates.find((base) => base === found) ?? candidates[0]!;
};

export const runBudgetMs = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = Number(env[RUN_BUDGET_ENV]);
  return Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_RUN_BUDGET_MS;
};
