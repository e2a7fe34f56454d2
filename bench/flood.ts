/**
 * The launch-day flood (issue 17 §1): many sale runs on one site's rate limit, each "Create
 * Member" (If the Email Exists: update, Paid, into Gold) then "Create Login Link" for the member
 * it returned, every step replayed the way Zapier replays a ThrottledError (after the delay it
 * names, up to 5 tries). Used by `npm run bench -- --flood` (200 runs at 30 requests per 10 s)
 * and by test/e2e/flood.e2e.test.ts (a smaller flood on small windows).
 *
 * The app runs through core's own handler (createAppHandler), its z.cache served by the faithful
 * double of bench/zapier-double.ts, against the sandbox through a loopback proxy that counts every
 * answer by route and status.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runStep, startCacheDouble, type AppHandler, type StepResult } from './zapier-double';

export type Buyer = 'new' | 'returning' | 'blocked';

export interface FloodOptions {
  /** core's createAppHandler(App). */
  handler: AppHandler;
  /** The sandbox's API base URL (…/api/v1); its origin serves /__sandbox/*. */
  sandboxUrl: string;
  apiKey: string;
  runs: number;
  /** Share of runs whose buyer is already a member (not paid, not in Gold). */
  returningShare: number;
  /** Share of runs whose buyer is a blocked member (the step has no "Unblock If Blocked"). */
  blockedShare: number;
  /** Runs arrive at random over this many ms. */
  arrivalMs: number;
  /** Invocations per step, the first included (Zapier: 5). */
  tries: number;
  rateLimit: number;
  rateWindowSeconds: number;
  /** Round trip of one z.cache call (Zapier's RPC). */
  cacheLatencyMs?: number;
  seed?: number;
  /** Progress lines (the bench prints them). */
  log?: (line: string) => void;
}

export interface RunRecord {
  buyer: Buyer;
  email: string;
  ok: boolean;
  /** What ended a run that did not succeed. */
  failure?: string;
  createMember: StepResult;
  loginLink?: StepResult;
  /** ms spent inside invocations (Zapier's time), summed over both steps. */
  inZapierMs: number;
  doneAt: number;
}

export interface FloodResult {
  options: Omit<FloodOptions, 'handler' | 'log'>;
  runs: RunRecord[];
  byBuyer: Record<Buyer, { runs: number; ok: number }>;
  /** Answers by status, and 429s by route. */
  answers: {
    total: number;
    byStatus: Record<string, number>;
    rejectedByRoute: Record<string, number>;
    /** When each 429 was answered (ms from the flood's start). */
    rejectedAt: number[];
  };
  /** The fewest requests the flood needs (2 per new buyer, 5 per returning or blocked one). */
  usefulRequests: number;
  rejected: number;
  rejectedPerUseful: number;
  elapsedMs: number;
  /** useful requests ÷ allowed requests per second. */
  floorMs: number;
  timeRatio: number;
  duplicates: { membersTwice: number; runsWithTwoLinks: number; maxLinksPerRun: number };
  /** Members that should be paid and in Gold after the flood but are not (returning buyers' work). */
  unfinishedMembers: number;
  triesHistogram: Record<string, number>;
  medianInZapierMs: number;
  maxTryMs: number;
  cacheCalls: Record<string, number>;
  cacheClaimsRefused: number;
  /**
   * What the harness itself cost, to tell the integration's figures from the simulator's: every
   * invocation runs through core's handler in this one process (at Zapier each has a CPU of its
   * own), so CPU spent here stretches every try and delays every replay.
   */
  harness: {
    /** CPU of this process during the flood (core's handler, the app, the cache double, the proxy; the sandbox too when it runs in-process). */
    cpuMs: number;
    tries: number;
    cpuPerTryMs: number;
    /** How late this process's timers fired (event-loop delay), in ms. */
    loopDelayMs: { p50: number; p99: number; max: number };
    /** How much later than due the harness started a replay, in ms. */
    replayLagMs: { p50: number; p90: number; max: number };
    /** The machine's load average (1 min) when the flood started and ended. */
    loadAverage: { start: number; end: number };
  };
}

/** A small seeded generator, so a flood's arrivals and buyers are the same from run to run. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const routeOf = (method: string, url: string) =>
  `${method} ${url.split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':id')}${
    method === 'GET' && /[?&]email=/.test(url) ? '?email' : ''
  }`;

interface Wire {
  url: string;
  answers: Array<{ route: string; status: number; at: number; memberId?: string }>;
  close(): Promise<void>;
}

/** A loopback proxy in front of the sandbox that records every answer (route, status, time). */
const startWire = async (target: string): Promise<Wire> => {
  const base = new URL(target);
  const answers: Wire['answers'] = [];
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const url = req.url ?? '/';
        const link = /\/members\/([^/]+)\/login-links/.exec(url);
        answers.push({
          route: routeOf(req.method ?? 'GET', url),
          status: answer.statusCode ?? 0,
          at: Date.now(),
          memberId: link?.[1],
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.destroy();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base.pathname}`,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

interface SiteState {
  keys: Array<{ key: string }>;
  members: Array<{ id: string; email: string; paid: boolean; status: string }>;
  groups: Array<{ id: string; name: string }>;
  memberships: Record<string, string[]>;
}

const controlOf = (origin: string) => async (path: string, body?: unknown) => {
  const response = await fetch(`${origin}/__sandbox/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`sandbox ${path}: ${await response.text()}`);
  return (await response.json()) as unknown;
};

const siteOf = async (control: ReturnType<typeof controlOf>, key: string): Promise<SiteState> => {
  const state = (await control('state')) as { sites: SiteState[] };
  const site = state.sites.find((s) => s.keys.some((k) => k.key === key));
  if (!site) throw new Error('no sandbox site for the flood key');
  return site;
};

const quantile = (values: number[], q: number) => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
};
const median = (values: number[]) => quantile(values, 0.5);

/** Runs the flood against a sandbox that no one else uses meanwhile (it is reset first). */
export const runFlood = async (options: FloodOptions): Promise<FloodResult> => {
  const { handler, log = () => undefined, ...recorded } = options;
  const random = mulberry32(options.seed ?? 17);
  const origin = new URL(options.sandboxUrl).origin;
  const control = controlOf(origin);
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(options.sandboxUrl + path, {
      method,
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as { data: { id: string } };
  };

  // The site: Gold, and the returning and blocked buyers as existing members (not paid, not in
  // Gold), set up without a rate limit; the flood's limit then starts with fresh windows.
  await control('reset', {});
  await control('config', { rateLimit: 1_000_000, behaviour: { throttle: 'reset-only' } });
  const gold = (await api('POST', '/access-groups', { name: 'Gold' })).data.id;
  const buyers: Array<{ buyer: Buyer; email: string; arriveAt: number }> = [];
  for (let i = 0; i < options.runs; i += 1) {
    const draw = random();
    const buyer: Buyer =
      draw < options.blockedShare
        ? 'blocked'
        : draw < options.blockedShare + options.returningShare
          ? 'returning'
          : 'new';
    buyers.push({
      buyer,
      email: `${buyer}-buyer-${i}@example.org`,
      arriveAt: Math.floor(random() * options.arrivalMs),
    });
  }
  const existing = buyers.filter((b) => b.buyer !== 'new').map((b) => b.email);
  await control('seed', { key: options.apiKey, members: existing });
  const seeded = await siteOf(control, options.apiKey);
  for (const b of buyers.filter((x) => x.buyer === 'blocked')) {
    const member = seeded.members.find((m) => m.email === b.email)!;
    await api('PATCH', `/members/${member.id}`, { status: 'blocked' });
  }
  await control('config', {
    rateLimit: options.rateLimit,
    rateWindowSeconds: options.rateWindowSeconds,
  });

  const wire = await startWire(options.sandboxUrl);
  const cache = await startCacheDouble({ latencyMs: options.cacheLatencyMs ?? 20 });
  const previousBase = process.env.SOTION_API_BASE_URL;
  process.env.SOTION_API_BASE_URL = wire.url;
  // core's RPC client wants a deploy key before it calls rpc_base (never sent anywhere else).
  process.env.ZAPIER_DEPLOY_KEY ??= 'flood-simulation';
  const rpcBase = cache.rpcBase(options.apiKey.slice(-8));
  const started = Date.now();
  const clock = () => Date.now() - started;
  const authData = { apiKey: options.apiKey };
  const loadStart = loadavg()[0]!;
  const cpuStart = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  let finished = 0;
  const progress = setInterval(
    () =>
      log(
        `  flood: ${finished}/${options.runs} runs finished after ${Math.round(clock() / 1000)} s`,
      ),
    15_000,
  );
  const runOne = async (b: (typeof buyers)[number]): Promise<RunRecord> => {
    await sleep(b.arriveAt);
    const createMember = await runStep(handler, {
      method: 'creates.create_member.operation.perform',
      bundle: {
        authData,
        inputData: {
          email: b.email,
          paid: 'true',
          access_group_ids: [gold],
          if_email_exists: 'update',
        },
        meta: {},
      },
      rpcBase,
      tries: options.tries,
      clock,
    });
    const spent = (s?: StepResult) => (s ? s.tries.reduce((sum, t) => sum + t.ms, 0) : 0);
    if (!createMember.ok) {
      finished += 1;
      return {
        buyer: b.buyer,
        email: b.email,
        ok: false,
        failure: `Create Member: ${createMember.message ?? 'failed'}`,
        createMember,
        inZapierMs: spent(createMember),
        doneAt: clock(),
      };
    }
    const member = createMember.result as { id: string };
    const loginLink = await runStep(handler, {
      method: 'creates.create_login_link.operation.perform',
      bundle: { authData, inputData: { member: member.id }, meta: {} },
      rpcBase,
      tries: options.tries,
      clock,
    });
    finished += 1;
    // A blocked buyer succeeds when the login link is refused with the clear 403.
    const ok =
      b.buyer === 'blocked'
        ? !loginLink.ok && /Blocked members cannot log in/.test(loginLink.message ?? '')
        : loginLink.ok;
    return {
      buyer: b.buyer,
      email: b.email,
      ok,
      failure: ok ? undefined : `Create Login Link: ${loginLink.message ?? 'made a link'}`,
      createMember,
      loginLink,
      inZapierMs: spent(createMember) + spent(loginLink),
      doneAt: clock(),
    };
  };
  let runs: RunRecord[];
  try {
    runs = await Promise.all(buyers.map(runOne));
  } finally {
    loop.disable();
    clearInterval(progress);
    if (previousBase === undefined) delete process.env.SOTION_API_BASE_URL;
    else process.env.SOTION_API_BASE_URL = previousBase;
    await wire.close();
    await cache.close();
  }
  const elapsedMs = Math.max(...runs.map((r) => r.doneAt));
  const cpu = process.cpuUsage(cpuStart);
  const loadEnd = loadavg()[0]!;

  const byBuyer: FloodResult['byBuyer'] = {
    new: { runs: 0, ok: 0 },
    returning: { runs: 0, ok: 0 },
    blocked: { runs: 0, ok: 0 },
  };
  for (const r of runs) {
    byBuyer[r.buyer].runs += 1;
    if (r.ok) byBuyer[r.buyer].ok += 1;
  }
  const byStatus: Record<string, number> = {};
  const rejectedByRoute: Record<string, number> = {};
  const linksByMember = new Map<string, number>();
  for (const a of wire.answers) {
    byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    if (a.status === 429) rejectedByRoute[a.route] = (rejectedByRoute[a.route] ?? 0) + 1;
    if (a.memberId && a.status >= 200 && a.status < 300)
      linksByMember.set(a.memberId, (linksByMember.get(a.memberId) ?? 0) + 1);
  }
  const usefulRequests = buyers.reduce((sum, b) => sum + (b.buyer === 'new' ? 2 : 5), 0);
  const rejected = byStatus['429'] ?? 0;
  const floorMs = (usefulRequests / (options.rateLimit / options.rateWindowSeconds)) * 1000;

  const site = await siteOf(control, options.apiKey);
  const count = new Map<string, number>();
  for (const m of site.members) count.set(m.email, (count.get(m.email) ?? 0) + 1);
  const inGold = new Set(site.memberships[gold] ?? []);
  const unfinishedMembers = runs.filter((r) => {
    if (!r.ok) return false;
    const m = site.members.find((x) => x.email === r.email);
    return !m || !m.paid || !inGold.has(m.id);
  }).length;
  const links = [...linksByMember.values()];
  const triesHistogram: Record<string, number> = {};
  let maxTryMs = 0;
  let tries = 0;
  const lags: number[] = [];
  for (const r of runs)
    for (const s of [r.createMember, r.loginLink]) {
      if (!s) continue;
      triesHistogram[s.tries.length] = (triesHistogram[s.tries.length] ?? 0) + 1;
      tries += s.tries.length;
      for (const t of s.tries) {
        maxTryMs = Math.max(maxTryMs, t.ms);
        if (t.lagMs !== undefined) lags.push(t.lagMs);
      }
    }
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;

  return {
    options: recorded,
    runs,
    byBuyer,
    answers: {
      total: wire.answers.length,
      byStatus,
      rejectedByRoute,
      rejectedAt: wire.answers.filter((a) => a.status === 429).map((a) => a.at - started),
    },
    usefulRequests,
    rejected,
    rejectedPerUseful: rejected / usefulRequests,
    elapsedMs,
    floorMs,
    timeRatio: elapsedMs / floorMs,
    duplicates: {
      membersTwice: [...count.values()].filter((n) => n > 1).length,
      runsWithTwoLinks: links.filter((n) => n > 1).length,
      maxLinksPerRun: links.length ? Math.max(...links) : 0,
    },
    unfinishedMembers,
    triesHistogram,
    medianInZapierMs: median(runs.map((r) => r.inZapierMs)),
    maxTryMs,
    cacheCalls: { ...cache.calls },
    cacheClaimsRefused: cache.nxRefused,
    harness: {
      cpuMs: Math.round(cpuMs),
      tries,
      cpuPerTryMs: Math.round(cpuMs / Math.max(1, tries)),
      loopDelayMs: {
        p50: ms(loop.percentile(50)),
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
      },
      replayLagMs: {
        p50: quantile(lags, 0.5),
        p90: quantile(lags, 0.9),
        max: lags.length ? Math.max(...lags) : 0,
      },
      loadAverage: { start: round(loadStart), end: round(loadEnd) },
    },
  };
};

const pct = (ok: number, all: number) => (all ? `${Math.round((ok / all) * 1000) / 10}%` : '–');
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** The flood as a Markdown table, with a line of the figures behind it. */
export const floodTable = (r: FloodResult): string => {
  const o = r.options;
  const fails = r.runs.filter((x) => !x.ok);
  const reasons = new Map<string, number>();
  for (const f of fails) {
    const reason = (f.failure ?? 'failed').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '…').slice(0, 90);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const row = (buyer: Buyer, label: string) =>
    `| ${label} | ${r.byBuyer[buyer].runs} | ${r.byBuyer[buyer].ok} (${pct(r.byBuyer[buyer].ok, r.byBuyer[buyer].runs)}) |`;
  const cacheTotal = Object.values(r.cacheCalls).reduce((a, b) => a + b, 0);
  const h = r.harness;
  return [
    `**Flood**: ${o.runs} sale runs within ${o.arrivalMs / 1000} s, each Create Member (update, Paid, into Gold) then Create Login Link, at ${o.rateLimit} requests per ${o.rateWindowSeconds} s (429s with only X-RateLimit-Reset), ${o.tries} tries per step, z.cache round trip ${o.cacheLatencyMs ?? 20} ms`,
    '',
    '| Buyers | Runs | OK within 5 tries |',
    '|---|---|---|',
    row('new', 'new'),
    row('returning', 'returning'),
    row('blocked', 'blocked, no Unblock (OK = the clear 403)'),
    '',
    '| Rejected (429) per useful request | Time | Floor | Ratio | Members twice | Runs with 2+ login links | Median time in Zapier per run | Longest try | z.cache calls per run |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${round(r.rejectedPerUseful)} (${r.rejected} / ${r.usefulRequests}) | ${round(r.elapsedMs / 1000, 1)} s | ${round(r.floorMs / 1000, 1)} s | ${round(r.timeRatio)} | ${r.duplicates.membersTwice} | ${r.duplicates.runsWithTwoLinks} | ${round(r.medianInZapierMs / 1000, 1)} s | ${round(r.maxTryMs / 1000, 1)} s | ${round(cacheTotal / o.runs, 1)} |`,
    '',
    `Answers: ${Object.entries(r.answers.byStatus)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ')}; 429s by route: ${
      Object.entries(r.answers.rejectedByRoute)
        .map(([route, n]) => `${route} ${n}`)
        .join(', ') || 'none'
    }. Tries per step: ${Object.entries(r.triesHistogram)
      .map(([t, n]) => `${n}× ${t}`)
      .join(
        ', ',
      )}. Members left unpaid or outside Gold by a successful run: ${r.unfinishedMembers}.${
      reasons.size
        ? ` Failures: ${[...reasons].map(([reason, n]) => `${n}× ${reason}`).join('; ')}.`
        : ''
    }`,
    '',
    `z.cache calls by method: ${Object.entries(r.cacheCalls)
      .map(([m, n]) => `${m.replace('zcache_', '')} ${n}`)
      .join(
        ', ',
      )} (${r.cacheClaimsRefused} claims refused). Harness: ${h.tries} tries, ${round(h.cpuMs / 1000, 1)} s CPU in this process (${h.cpuPerTryMs} ms a try); timers late by ${h.loopDelayMs.p50} ms (median), ${h.loopDelayMs.p99} ms (p99), ${h.loopDelayMs.max} ms (max); replays started late by ${h.replayLagMs.p50} ms (median), ${h.replayLagMs.p90} ms (p90), ${h.replayLagMs.max} ms (max); load average ${h.loadAverage.start} → ${h.loadAverage.end}.`,
  ].join('\n');
};

/**
 * `npm run bench -- --flood`: builds the app, starts the sandbox in its own process (30 requests
 * per 10 s, 429s with only X-RateLimit-Reset, `latencyMs` per request) and runs the flood through
 * the built app and core, as Zapier loads them. Prints the table.
 *
 * A smaller flood for iterating: FLOOD_RUNS=60 FLOOD_SCALE=0.2 scales every window by 0.2 (6
 * requests per 2 s, login links 10 per 12 s: the same rates) and the arrivals with the runs (20
 * runs a second), so the flood keeps its shape at a third of the length.
 */
export const floodBench = async (settings: {
  root: string;
  latencyMs: number;
}): Promise<FloodResult> => {
  const { execFileSync, spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const runs = Number(process.env.FLOOD_RUNS ?? 200);
  const scale = Number(process.env.FLOOD_SCALE ?? 1);
  if (!(Number.isInteger(runs) && runs > 0 && scale > 0 && scale <= 1))
    throw new Error('FLOOD_RUNS must be a positive whole number and FLOOD_SCALE in (0, 1]');
  const rateLimit = Math.max(2, Math.round(30 * scale));
  const rateWindowSeconds = 10 * scale;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: settings.root, stdio: 'inherit' });
  process.env.SOTION_RUN_BUDGET_MS = '25000';
  // The documented 50 login links a minute, scaled like the general window (the same rate).
  if (scale < 1)
    process.env.SOTION_RATE_LOGIN_LINKS = `${Math.max(2, Math.round(50 * scale))}/${60 * scale}`;
  // Core prints a line per invocation unless it believes it runs under a test runner.
  process.env.NODE_ENV ??= 'test';
  delete process.env.LOG_TO_STDOUT;
  delete process.env.DETAILED_LOG_TO_STDOUT;
  const child = spawn(
    process.execPath,
    [
      join(settings.root, '.tools/sandbox/cli.js'),
      '--port',
      '0',
      '--rate-limit',
      String(rateLimit),
      '--rate-window',
      String(rateWindowSeconds),
      '--throttle',
      'reset-only',
      '--latency',
      String(settings.latencyMs),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const match = /listening on (\S+)/.exec(out);
        if (match) done(match[1]!);
      });
      child.on('exit', () => fail(new Error(`sandbox exited: ${out}`)));
    });
    const load = createRequire(__filename);
    const core = load(join(settings.root, 'node_modules/zapier-platform-core')) as {
      createAppHandler: (app: object) => AppHandler;
    };
    const App = (load(join(settings.root, 'dist/index.js')) as { default: object }).default;
    const result = await runFlood({
      handler: core.createAppHandler(App),
      sandboxUrl: url,
      apiKey: 'so_sandbox_demo_site_key_0001',
      runs,
      returningShare: 0.18,
      blockedShare: 0.02,
      arrivalMs: Math.round((10_000 * runs) / 200),
      tries: 5,
      rateLimit,
      rateWindowSeconds,
      cacheLatencyMs: 20,
      log: (line) => console.log(line),
    });
    console.log(`\n${floodTable(result)}\n`);
    if (process.env.FLOOD_JSON) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.FLOOD_JSON, JSON.stringify(result, null, 1));
    }
    return result;
  } finally {
    child.kill();
  }
};
