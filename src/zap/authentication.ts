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

/**
 * The connection test: GET /site, the call Sotion recommends for checking a key, at each base URL
 * in turn until one answers as Sotion. Sotion's endpoint pages use /api/v1 and its Authentication
 * page /v1: the documented /api/v1 goes first (a connection that found one keeps trying it
 * first); only a 404 that is not Sotion's error body moves on to the next. Every other answer,
 * a 401 or a Sotion 404 included, is the test's result. The base that answered is returned as
 * `apiBaseUrl` (a computed auth field), which the client then uses for every request.
 */
export const testAuth = async (z: ZObject, bundle: Bundle) => {
  const deadline = new Deadline(15_000);
  const stored = baseUrlOf(bundle.authData);
  const bases = [stored, ...baseCandidates().filter((base) => base !== stored)];
  const misses: string[] = [];
  for (const base of bases) {
    const client = new SotionClient(
      z,
      { ...bundle, authData: { ...bundle.authData, [BASE_URL_FIELD]: base } },
      deadline,
    );
    try {
      const { data } = await client.call(site.get, { authTest: true });
      return { ...data.data, [BASE_URL_FIELD]: base, connectionLabel: siteLabel(data.data) };
    } catch (error) {
      const info = errorInfo(error);
      if (!info?.notSotionApi) throw error;
      misses.push(`${base}/site${requestIdSuffix(info.requestId)}`);
    }
  }
  const [each, where] = misses.length > 1 ? ['each ', 'at neither address'] : ['', 'not there'];
  throw userError(
    z,
    `Sotion's API did not answer the connection test: GET ${misses.join(' and GET ')} ${each}` +
      `answered HTTP 404 without Sotion's error body, so Sotion's API is ${where}. Try again ` +
      'later; if it keeps happening, contact Sotion support with these addresses.',
    'not_sotion_api',
    { status: 404, transient: false },
  );
};

export default {
  type: 'custom',
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
      // Filled by the connection test (never typed by the user): where Sotion's API answered.
      // Optional, so connections made before it existed keep working on the documented base.
      key: BASE_URL_FIELD,
      label: 'API Base URL',
      type: 'string',
      required: false,
      computed: true,
    },
  ],
  test: testAuth,
  connectionLabel: '{{connectionLabel}}',
} satisfies Authentication;
