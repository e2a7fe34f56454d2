import { endpoint } from '../http/endpoint';
import { single, Site } from './schemas';

/** GET /site: the one call Sotion recommends for checking a key. */
export const site = {
  get: endpoint('GET /site', single(Site), { what: 'your Sotion site' }),
};
