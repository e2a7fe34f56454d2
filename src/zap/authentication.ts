import type { Authentication, Bundle, ZObject } from 'zapier-platform-core';
import { site } from '../api/site';
import type { Site } from '../api/schemas';
import { SotionClient } from '../http/client';
import { Deadline } from '../http/deadline';

/** How the connection is named in Zapier: the site's title, else its domain, else its address. */
export const siteLabel = (site: Site): string =>
  site.title?.trim() || site.domain?.trim() || `${site.slug}.sotion.site`;

/** The connection test: GET /site, the call Sotion recommends for checking a key. */
export const testAuth = async (z: ZObject, bundle: Bundle) => {
  const client = new SotionClient(z, bundle, new Deadline(15_000));
  const { data } = await client.call(site.get, { authTest: true });
  return { ...data.data, connectionLabel: siteLabel(data.data) };
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
  ],
  test: testAuth,
  connectionLabel: '{{connectionLabel}}',
} satisfies Authentication;
