/** §2.1 GET /site. */
import type { RouteContext } from './context';

export const siteRoutes = (ctx: RouteContext): void => {
  ctx.route('GET', '/site', (site) => ({ status: 200, body: { data: site.site } }));
};
