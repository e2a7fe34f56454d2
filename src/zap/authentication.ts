import type { Authentication, Bundle, ZObject } from 'zapier-platform-core';
import { site } from '../api/site';
import type { Site } from '../api/schemas';
import { SotionClient } from '../http/client';
import { BASE_URL_FIELD, baseCandidates, baseUrlOf } from '../http/config';
import { Deadline } from '../http/deadline';
import { errorInfo, requestIdSuffix, userError } from '../http/errors';

/** How the connection is named in Zapier: the site's title, else its domain, else its address. */
export const siteLabel = (site: Site): string =>
  site.title?.trim() || site.domain?.trim() || `${site.slug}.sotion.site`;

/** The connection's authentication calls share this budget (two bases at most). */
const AUTH_BUDGET_MS = 15_000;

/** `GET <base>/site`, with the answer's request id, for a message about a base with no API. */
const missAt = (base: string, error: unknown): string =>
  `GET ${base}/site${requestIdSuffix(errorInfo(error)?.requestId)}`;

const noApiError = (z: ZObject, misses: string[], whatToDo: string): Error => {
  const [each, where] = misses.length > 1 ? ['each ', 'at neither address'] : ['', 'not there'];
  return userError(
    z,
    `Sotion's API did not answer the connection test: ${misses.join(' and ')} ${each}answered ` +
      `HTTP 404 without Sotion's error body, so Sotion's API is ${where}. ${whatToDo}`,
    'not_sotion_api',
    { status: 404 },
  );
};

/**
 * `sessionConfig.perform`, which Zapier runs when the connection is made (and reconnected) and
 * whose result it keeps in authData: finds where Sotion's API answers. Sotion's endpoint pages
 * use /api/v1 and its Authentication page /v1, so it sends GET /site (the call Sotion
 * recommends for checking a key) to the documented /api/v1 and, only when that answers a 404
 * that is not Sotion's error body, to /v1. Every other answer is the result: a 401 says the key
 * is not accepted, a Sotion 404 is reported as it is. Returns the base that answered as the
 * computed field `apiBaseUrl`; the client sends every later request there.
 */
export const findApiBase = async (z: ZObject, bundle: Bundle) => {
  const deadline = new Deadline(AUTH_BUDGET_MS);
  const misses: string[] = [];
  for (const base of baseCandidates()) {
    // A stored base (a reconnect) is not tried first: the documented one always goes first.
    const client = new SotionClient(
      z,
      { ...bundle, authData: { ...bundle.authData, [BASE_URL_FIELD]: base } },
      deadline,
    );
    try {
      await client.call(site.get, { authTest: true });
      return { [BASE_URL_FIELD]: base };
    } catch (error) {
      if (!errorInfo(error)?.notSotionApi) throw error;
      misses.push(missAt(base, error));
    }
  }
  throw noApiError(
    z,
    misses,
    'Try again later; if it keeps happening, contact Sotion support with these addresses.',
  );
};

/**
 * The connection test, which Zapier runs after `sessionConfig.perform` and whenever it checks
 * the connection: GET /site at the connection's base (one request), returning the site and the
 * connection's label.
 */
export const testAuth = async (z: ZObject, bundle: Bundle) => {
  const client = new SotionClient(z, bundle, new Deadline(AUTH_BUDGET_MS));
  try {
    const { data } = await client.call(site.get, { authTest: true });
    return { ...data.data, connectionLabel: siteLabel(data.data) };
  } catch (error) {
    if (!errorInfo(error)?.notSotionApi) throw error;
    throw noApiError(
      z,
      [missAt(baseUrlOf(bundle.authData), error)],
      'Reconnect Sotion so that the integration looks for its API again; if it keeps happening, ' +
        'contact Sotion support with this address.',
    );
  }
};

/** The requests of connecting and of each connection test, for docs/operations.md. */
export const requests =
  'connecting: 2 (`GET /site` in sessionConfig.perform to find the base, `GET /site` in the ' +
  "test); 3 when /api/v1 answers a 404 that is not Sotion's and /v1 is tried; each later " +
  'connection test: 1; none in steps';

export default {
  // Session auth: the only kind besides OAuth whose computed fields Zapier keeps. Its "session"
  // is the base URL that sessionConfig.perform found; the key itself is sent on every request.
  type: 'session',
  fields: [
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText:
        'Your Sotion API key, such as `so_live_4f8a…`. Create one in the Sotion dashboard under ' +
        '**Site settings → Integrations → API Keys** ([how to](https://sotion.so/docs/api-reference/authentication-oyhhj)). ' +
        'Each key belongs to one site; the key is shown only once, so copy it when you create it.',
    },
    {
      // Filled by sessionConfig.perform (never typed by the user): where Sotion's API answered.
      // Required: Zapier then refuses a connection whose perform did not return it.
      key: BASE_URL_FIELD,
      label: 'API Base URL',
      type: 'string',
      required: true,
      computed: true,
    },
  ],
  sessionConfig: { perform: findApiBase },
  test: testAuth,
  connectionLabel: '{{connectionLabel}}',
} satisfies Authentication;
