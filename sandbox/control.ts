/** The control endpoint, /__sandbox/* (a reserved path Sotion would never serve). */
import type { Behaviour } from './decisions';
import type { Deliveries } from './deliveries';
import type { Faults } from './faults';
import { HttpError, notFound, type Reply } from './http';
import { checkConfig, type SandboxSettings } from './options';
import { resetStats, type Stats } from './stats';
import { memberView } from './routes/context';
import { makeGroup, makeMember, now, Store } from './store';

export interface ControlState {
  store: Store;
  stats: Stats;
  behaviour: Behaviour;
  faults: Faults;
  settings: SandboxSettings;
  /** Webhook deliveries, for events only a site visitor causes (member.auth). */
  deliveries: Deliveries;
  /** After a config change or a reset: forget rate-limit windows and fault draws. */
  restart(): void;
}

type Body = Record<string, unknown>;
type Action = (body: Body) => Reply;

export const createControl = (state: ControlState) => {
  const { store, stats, behaviour, faults, settings } = state;
  const config = () => ({ behaviour, faults, ...settings });
  const ok = (body: unknown): Reply => ({ status: 200, body });

  const actions: Record<string, Action> = {
    'GET /health': () => ok({ ok: true }),
    'GET /state': () => ok(store.data),
    'GET /stats': () => ok(stats),
    'GET /config': () => ok(config()),
    'POST /stats/reset': () => ok(resetStats(stats)),
    'POST /config': (body) => {
      const problem = checkConfig(body);
      if (problem) throw new HttpError(400, problem, 'validation_error');
      const { behaviour: b, faults: f, ...rest } = body;
      Object.assign(behaviour, b ?? {});
      Object.assign(faults, f ?? {});
      Object.assign(settings, rest);
      state.restart();
      return ok(config());
    },
    'POST /reset': (body) => {
      store.data = body.empty ? { sites: [] } : new Store().data;
      state.restart();
      return ok({ sites: store.data.sites.length });
    },
    'POST /sites': (body) => {
      const { site, key } = store.addSite(
        String(body.title ?? 'Sandbox Site'),
        String(body.slug ?? 'sandbox-site'),
      );
      return { status: 201, body: { siteId: site.site.id, key } };
    },
    'POST /keys/revoke': (body) => {
      for (const site of store.data.sites)
        for (const k of site.keys) if (k.key === body.key) k.revoked = true;
      return ok({ revoked: body.key });
    },
    'POST /save': (body) => {
      store.save(String(body.file));
      return ok({ saved: body.file });
    },
    'POST /load': (body) => {
      store.data = Store.load(String(body.file)).data;
      return ok({ loaded: body.file });
    },
    // Bulk fixtures for tests and benchmarks: { key, groups?: n, members?: [emails] }.
    'POST /seed': (body) => {
      const site = store.siteForKey(String(body.key)) ?? notFound('Site for that key');
      for (let i = 0; i < Number(body.groups ?? 0); i += 1)
        site.groups.push(makeGroup(`Seeded Group ${site.groups.length + 1}`, 'custom'));
      for (const email of (body.members as string[] | undefined) ?? [])
        site.members.push(makeMember(email));
      return ok({ groups: site.groups.length, members: site.members.length });
    },
    // A member logging in or out on the site (no API route causes it): { key, memberId,
    // action?: 'login' | 'logout' }. Emits member.auth with the member and the action.
    'POST /member-auth': (body) => {
      const site = store.siteForKey(String(body.key)) ?? notFound('Site for that key');
      const member = site.members.find((m) => m.id === body.memberId) ?? notFound('Member');
      const action = body.action === 'logout' ? 'logout' : 'login';
      if (action === 'login') member.lastLoginAt = now();
      state.deliveries.emit(site, 'member.auth', { ...memberView(site, member), action });
      return ok({ memberId: member.id, action });
    },
  };

  return (method: string, path: string, body: Body): Reply => {
    const action = actions[`${method} ${path}`];
    return action
      ? action(body)
      : { status: 404, body: { error: 'Unknown sandbox control path.' } };
  };
};
