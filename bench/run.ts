/**
 * `npm run bench [-- --latency MS] [-- --quick] [-- --write]`: requests, time and memory of Bulk
 * Add Members and New Access Group against the sandbox (in its own process, with a fixed latency
 * per request), the single-create alternative, cold start and bundle size. Prints the tables; with
 * --write also writes bench/results.json and bench/results.md, and puts the table into docs/performance.md
 * between the bench markers. Figures are ratios to the minimum possible, measured in one run.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BULK_BATCH_SIZE, BULK_CONCURRENCY } from '../src/bulk/send';
import { MEMBER_CONCURRENCY } from '../src/bulk/settle';
import { MAX_PAGE_SIZE } from '../src/http/pagination';
import { DEMO_KEY } from '../sandbox/store';
import { floodBench } from './flood';

const root = resolve(__dirname, '..', '..');
const USAGE = `Usage: npm run bench -- [--latency MS] [--quick] [--write] [--only new-steps] [--flood]

  --latency MS  sandbox latency added to every request (default 50)
  --quick       smaller inputs (500 and 2,000 members), no 10,000-member rows
  --flood       only the launch-day flood (bench/flood.ts): 200 runs at 30 requests per 10 s
  --write       write bench/results.json, bench/results.md and docs/performance.md's bench section
                (without it the results are only printed)
  --only new-steps  only the table of the issue-19 steps (nothing written)
  --help, -h    print this and exit`;

/** The flags (node's util.parseArgs, strict), or an exit: 0 after --help, 2 with one line. */
const readArgs = (args: string[]) => {
  const stop = (message: string): never => {
    process.stderr.write(`bench: ${message} (run with --help for usage)\n`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        latency: { type: 'string', default: '50' },
        quick: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        only: { type: 'string', default: '' },
        flood: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return stop(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const latency = Number(values.latency);
  if (values.latency.trim() === '' || !Number.isFinite(latency) || latency < 0)
    stop(`--latency must be milliseconds >= 0 (got "${values.latency}")`);
  if (values.only !== '' && values.only !== 'new-steps')
    stop(`--only takes new-steps (got "${values.only}")`);
  return {
    latency,
    quick: values.quick,
    write: values.write,
    only: values.only,
    flood: values.flood,
  };
};
const ARGS = readArgs(process.argv.slice(2));
const LATENCY = ARGS.latency;
const QUICK = ARGS.quick;
interface ZapierCore {
  createAppTester: (
    app: object,
  ) => <T>(
    fn: (z: unknown, bundle: unknown) => Promise<T>,
    bundle: object,
    clearCache?: boolean,
  ) => Promise<T>;
}

const startSandboxProcess = async (): Promise<{
  child: ChildProcess;
  url: string;
  origin: string;
}> => {
  const child = spawn(
    process.execPath,
    [
      join(root, '.tools/sandbox/cli.js'),
      '--port',
      '0',
      '--rate-limit',
      '1000000',
      '--latency',
      String(LATENCY),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) done(match[1]!);
    });
    child.on('exit', () => fail(new Error(`sandbox exited: ${out}`)));
  });
  return { child, url, origin: new URL(url).origin };
};

const control = async (origin: string, path: string, body?: unknown) => {
  const response = await fetch(`${origin}/__sandbox/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
};

const api = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as {
    data: Array<{ id: string; name: string }> & { id: string; memberCount: number };
  };
};

/** Samples RSS while `work` runs; returns its result, wall time and peak RSS growth. */
const measure = async <T>(work: () => Promise<T>) => {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  try {
    const result = await work();
    return {
      result,
      ms: performance.now() - started,
      peakRssMb: peak / 2 ** 20,
      rssGrowthMb: (peak - baseline) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
};

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Everything a table needs: the sandbox process and the built app loaded as Zapier loads it. */
interface Bench {
  sandbox: { child: ChildProcess; url: string; origin: string };
  stashRpc: { close: () => unknown };
  tester: ReturnType<ZapierCore['createAppTester']>;
  App: AppDefinition;
  bulkPerform: (z: unknown, b: unknown) => Promise<Record<string, number>>;
  pollPerform: (z: unknown, b: unknown) => Promise<unknown[]>;
}

type Operations = Record<string, { operation: { perform: never } }>;
interface AppDefinition {
  creates: Operations;
  triggers: Operations;
  searches?: Operations;
}

type Row = Record<string, unknown>;

/** Builds the app, starts the sandbox and loads the built app with the environment it needs. */
const setUp = async (): Promise<Bench> => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  process.env.SOTION_RUN_BUDGET_MS = '25000';
  const sandbox = await startSandboxProcess();
  process.env.SOTION_API_BASE_URL = sandbox.url;
  const stashRpc = await startStashRpc(`${sandbox.origin}/__sandbox/files/`);
  // zapier-platform-core prints a "ZID: … RSSMEM: …" line per invocation unless it believes it
  // runs under a test runner (constants.IS_TESTING, read from NODE_ENV when core loads); and the
  // *LOG_TO_STDOUT variables would print every request.
  process.env.NODE_ENV ??= 'test';
  delete process.env.LOG_TO_STDOUT;
  delete process.env.DETAILED_LOG_TO_STDOUT;
  // The built app and the core it runs on, loaded as Zapier loads them (after the env is set).
  const load = createRequire(__filename);
  const zapier = load(join(root, 'node_modules/zapier-platform-core')) as ZapierCore;
  const App = (load(join(root, 'dist/index.js')) as { default: AppDefinition }).default;
  return {
    sandbox,
    stashRpc,
    tester: zapier.createAppTester(App),
    App,
    bulkPerform: App.creates.bulk_add_members!.operation.perform as Bench['bulkPerform'],
    pollPerform: App.triggers.new_access_group!.operation.perform as Bench['pollPerform'],
  };
};

/** Requests that reached the sandbox since the last stats reset, by the routes bulk runs use. */
const bulkRequests = async ({ sandbox }: Bench) => {
  const stats = (await control(sandbox.origin, 'stats')) as { byRoute: Record<string, number> };
  const requests = {
    bulk: stats.byRoute['POST /members/bulk'] ?? 0,
    lookups: (stats.byRoute['GET /members?email'] ?? 0) + (stats.byRoute['GET /members'] ?? 0),
    groupAdds: stats.byRoute['POST /access-groups/:id/members'] ?? 0,
    groupChecks: stats.byRoute['GET /access-groups/:id'] ?? 0,
    listPages: stats.byRoute['GET /access-groups/:id/members'] ?? 0,
    total: 0,
  };
  requests.total =
    requests.bulk +
    requests.lookups +
    requests.groupAdds +
    requests.groupChecks +
    requests.listPages;
  return requests;
};

/** Bulk Add Members: 500 to 10,000 emails, with and without a group, and a replay of each. */
const bulkTable = async (bench: Bench): Promise<Row[]> => {
  const { sandbox, tester, bulkPerform } = bench;
  const sizes = QUICK ? [500, 2000] : [500, 2000, 10000];
  const bulkRows: Row[] = [];
  for (const size of [...sizes, 'all-new-10000'] as Array<number | string>) {
    const allNew = size === 'all-new-10000';
    if (allNew && QUICK) continue;
    const n = allNew ? 10000 : (size as number);
    for (const groups of allNew ? [0] : [0, 1]) {
      await control(sandbox.origin, 'reset', {});
      const existing = allNew ? 0 : Math.round(n * 0.1);
      const invalid = allNew ? 0 : Math.round(n * 0.02);
      const duplicated = allNew ? 0 : Math.round(n * 0.01);
      const unique = n - invalid - duplicated;
      const fresh = unique - existing;
      const existingEmails = Array.from({ length: existing }, (_, i) => `existing${i}@example.org`);
      await control(sandbox.origin, 'seed', { key: DEMO_KEY, members: existingEmails });
      const emails = [
        ...Array.from({ length: fresh }, (_, i) => `new${i}@example.org`),
        ...existingEmails,
        ...Array.from({ length: duplicated }, (_, i) => `NEW${i}@example.org`),
        ...Array.from({ length: invalid }, (_, i) => `broken${i}@@example.org`),
      ];
      const groupIds = groups
        ? [(await api(sandbox.url, 'POST', '/access-groups', { name: `Bench ${n}` })).data.id]
        : [];
      const runBulk = async () => {
        await control(sandbox.origin, 'stats/reset', {});
        const run = await measure(() =>
          tester(bulkPerform, {
            authData: { apiKey: DEMO_KEY },
            inputData: {
              emails: [emails.join('\n')],
              access_group_ids: groupIds,
              fail_when: 'never',
            },
            meta: {},
          }),
        );
        return { run, requests: await bulkRequests(bench) };
      };
      const { run, requests } = await runBulk();
      // The minimum: ceil(new/BULK_BATCH_SIZE) bulk requests, plus, when groups are chosen (Sotion
      // gives groups only to members it creates), the existing members' ids at the cheaper of one
      // look-up each or the site's member list (newest first: this run's new members, then the
      // existing ones, MAX_PAGE_SIZE a page), and one add per group for each existing member.
      const minBulk = Math.ceil(fresh / BULK_BATCH_SIZE);
      const minIds = Math.min(existing, Math.ceil((fresh + existing) / MAX_PAGE_SIZE));
      const minExisting = groups ? minIds + existing * groups : 0;
      const minTotal = minBulk + minExisting;
      // Minimum wall time at our concurrency: bulk rounds, the ids (look-ups in parallel or list
      // pages one after another), then the adds.
      const minMs =
        LATENCY *
        (Math.ceil(minBulk / BULK_CONCURRENCY) +
          (groups
            ? Math.min(
                Math.ceil(existing / MEMBER_CONCURRENCY),
                Math.ceil((fresh + existing) / MAX_PAGE_SIZE),
              ) +
              Math.ceil(existing / MEMBER_CONCURRENCY) * groups
            : 0));
      const out = run.result;
      const label = `${n.toLocaleString('en-US')} (10% existing, 2% invalid, 1% duplicated)`;
      bulkRows.push({
        scenario: allNew ? '10,000 all new' : label,
        groups,
        inputEmails: n,
        newMembers: fresh,
        existing,
        created: out.createdCount,
        failed: out.failedCount,
        requests,
        minimumRequests: { bulk: minBulk, existing: minExisting, total: minTotal },
        requestRatio: round(requests.total / minTotal),
        wallMs: Math.round(run.ms),
        minimumMs: minMs,
        timeRatio: round(run.ms / minMs),
        peakRssMb: round(run.peakRssMb, 1),
        rssGrowthMb: round(run.rssGrowthMb, 1),
      });
      console.log(JSON.stringify(bulkRows[bulkRows.length - 1]));
      if (groups && !allNew) {
        // A replay of the same step: everyone is now a member and in the group, and the step's
        // memory (z.cache) says so: nothing is left to send. (Without the memory, the least a
        // client can do is a bulk request per 500 and a page per 100 members of the group; the
        // rate-limit rows below measure that case.)
        const replay = await runBulk();
        const replayBulk = 0;
        const pages = 0;
        const replayMin = 0;
        const replayMinMs = 0;
        bulkRows.push({
          scenario: `${label}, replayed`,
          groups,
          inputEmails: n,
          newMembers: 0,
          existing: unique,
          created: replay.run.result.createdCount,
          failed: replay.run.result.failedCount,
          requests: replay.requests,
          minimumRequests: { bulk: replayBulk, existing: pages, total: replayMin },
          // Nothing is the minimum: the ratio is 1 when nothing was sent.
          requestRatio: replay.requests.total === replayMin ? 1 : replay.requests.total,
          wallMs: Math.round(replay.run.ms),
          minimumMs: replayMinMs,
          timeRatio: '–',
          peakRssMb: round(replay.run.peakRssMb, 1),
          rssGrowthMb: round(replay.run.rssGrowthMb, 1),
        });
        console.log(JSON.stringify(bulkRows[bulkRows.length - 1]));
      }
    }
  }
  return bulkRows;
};

/** Runs of one bulk step until one succeeds (at most `maxRuns`), `newWindow` between runs. */
const runUntilDone = async (
  { sandbox, tester, bulkPerform }: Bench,
  bundle: object,
  maxRuns: number,
  newWindow: () => Promise<unknown>,
) => {
  const runs: Array<{ ok: boolean; requests: number; lookups: number; pages: number }> = [];
  for (let i = 0; i < maxRuns; i += 1) {
    await control(sandbox.origin, 'stats/reset', {});
    let ok = true;
    try {
      await tester(bulkPerform, bundle, i === 0);
    } catch {
      ok = false;
    }
    const stats = (await control(sandbox.origin, 'stats')) as {
      total: number;
      byRoute: Record<string, number>;
    };
    runs.push({
      ok,
      requests: stats.total,
      lookups: stats.byRoute['GET /members?email'] ?? 0,
      pages: stats.byRoute['GET /members'] ?? 0,
    });
    if (ok) break;
    await newWindow();
  }
  return runs;
};

/**
 * Hostile conditions (issue 11): 1,235 emails into one group, 100 of them existing members not
 * yet in it, 429s carrying only X-RateLimit-Reset. Between runs Zapier waits out the throttle it
 * was handed; a new rate-limit window stands in for that wait.
 */
const hostileTable = async (bench: Bench): Promise<Row[]> => {
  const { sandbox } = bench;
  const hostileRows: Row[] = [];
  for (const [limit, windowSeconds] of [
    [20, 2],
    [5, 1],
    [60, 60],
  ] as const) {
    await control(sandbox.origin, 'reset', {});
    const existingEmails = Array.from({ length: 100 }, (_, i) => `existing${i}@example.org`);
    await control(sandbox.origin, 'seed', { key: DEMO_KEY, members: existingEmails });
    const groupId = (await api(sandbox.url, 'POST', '/access-groups', { name: 'Hostile' })).data.id;
    const emails = [
      ...Array.from({ length: 1135 }, (_, i) => `fresh${i}@example.org`),
      ...existingEmails,
    ];
    const settings = {
      rateLimit: limit,
      rateWindowSeconds: windowSeconds,
      behaviour: { throttle: 'reset-only' },
      faults: { latencyMs: LATENCY },
    };
    await control(sandbox.origin, 'config', settings);
    const runs = await runUntilDone(
      bench,
      {
        authData: { apiKey: DEMO_KEY },
        inputData: { emails: [emails.join('\n')], access_group_ids: [groupId] },
        meta: {},
      },
      12,
      () => control(sandbox.origin, 'config', settings),
    );
    // The fewest requests that find the 100 ids: look-ups, or the member-list pages down to the
    // last of them (newest first).
    const state = (await control(sandbox.origin, 'state')) as {
      sites: Array<{
        members: Array<{ email: string; createdAt: string; id: string }>;
        memberships: Record<string, string[]>;
      }>;
    };
    const site = state.sites[0]!;
    const newestFirst = [...site.members].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
    );
    const wanted = new Set(existingEmails);
    const lastWanted = newestFirst.reduce((last, m, i) => (wanted.has(m.email) ? i : last), 0);
    const idMinimum = Math.min(wanted.size, Math.ceil((lastWanted + 1) / MAX_PAGE_SIZE));
    const idRequests = runs[0]!.lookups + runs[0]!.pages;
    hostileRows.push({
      scenario: `${limit} per ${windowSeconds} s`,
      runsToConverge: runs.length,
      converged: runs[runs.length - 1]!.ok,
      requestsPerRun: runs.map((r) => r.requests),
      inGroup: (site.memberships[groupId] ?? []).length,
      idRequests,
      idMinimum,
      idRatio: round(idRequests / idMinimum),
    });
    console.log(JSON.stringify(hostileRows[hostileRows.length - 1]));
  }
  await control(sandbox.origin, 'config', {
    rateLimit: 1_000_000,
    rateWindowSeconds: 60,
    behaviour: { throttle: 'retry-after' },
    faults: { latencyMs: LATENCY },
  });
  return hostileRows;
};

/** A replay of a 25,000-member import whose members are all in the group, at 100 ms a request. */
const replay25k = async (bench: Bench): Promise<Row> => {
  const { sandbox, tester, bulkPerform } = bench;
  await control(sandbox.origin, 'reset', {});
  await control(sandbox.origin, 'config', { faults: { latencyMs: 100 } });
  const groupId = (await api(sandbox.url, 'POST', '/access-groups', { name: 'Big' })).data.id;
  const emails = Array.from({ length: 25_000 }, (_, i) => `big${i}@example.org`);
  const bundle = {
    authData: { apiKey: DEMO_KEY },
    inputData: { emails: [emails.join('\n')], access_group_ids: [groupId], fail_when: 'never' },
    meta: {},
  };
  const noWait = async () => undefined;
  const importRuns = await runUntilDone(bench, bundle, 8, noWait);
  await control(sandbox.origin, 'stats/reset', {});
  const replay = await measure(() => tester(bulkPerform, bundle));
  const replayStats = (await control(sandbox.origin, 'stats')) as { total: number };
  // Without the memory (expired, or another worker): the same replay, from nothing.
  const cold = await runUntilDone(bench, bundle, 8, noWait);
  const row = {
    importRuns: importRuns.length,
    replayRuns: 1,
    replayRequests: replayStats.total,
    replayMs: Math.round(replay.ms),
    withoutMemoryRuns: cold.length,
    withoutMemoryConverged: cold[cold.length - 1]!.ok,
    withoutMemoryRequestsPerRun: cold.map((r) => r.requests),
  };
  console.log(JSON.stringify(row));
  await control(sandbox.origin, 'config', { faults: { latencyMs: LATENCY } });
  return row;
};

/** The alternative: one Create Member request per member, in a loop, against the bulk rows. */
const singleCreatesTable = async ({ sandbox }: Bench, bulkRows: Row[]) => {
  await control(sandbox.origin, 'reset', {});
  const loopSize = QUICK ? 100 : 500;
  const loop = await measure(async () => {
    for (let i = 0; i < loopSize; i += 1)
      await api(sandbox.url, 'POST', '/members', { email: `loop${i}@example.org` });
  });
  const perMemberMs = loop.ms / loopSize;
  const table = {
    measuredMembers: loopSize,
    msPerMember: round(perMemberMs, 1),
    comparison: bulkRows
      .filter((r) => r.groups === 0 && (r.newMembers as number) > 0)
      .map((r) => ({
        scenario: r.scenario,
        singleRequests: r.newMembers,
        bulkRequests: (r.requests as { total: number }).total,
        requestRatio: round((r.newMembers as number) / (r.requests as { total: number }).total, 1),
        singleMs: Math.round(perMemberMs * (r.newMembers as number)),
        bulkMs: r.wallMs,
        timeRatio: round((perMemberMs * (r.newMembers as number)) / (r.wallMs as number), 1),
        singleMsIs:
          (r.newMembers as number) === loopSize
            ? 'measured'
            : `extrapolated from ${loopSize} measured`,
      })),
  };
  console.log(JSON.stringify(table));
  return table;
};

/** New Access Group: one poll of 100 to 5,000 groups, served newest or oldest first. */
const pollTable = async ({ sandbox, tester, pollPerform }: Bench): Promise<Row[]> => {
  const pollRows: Row[] = [];
  for (const count of QUICK ? [100, 1000] : [100, 1000, 5000]) {
    await control(sandbox.origin, 'reset', { empty: false });
    const site = (await control(sandbox.origin, 'state')) as {
      sites: Array<{ groups: unknown[] }>;
    };
    const existingGroups = site.sites[0]!.groups.length;
    await control(sandbox.origin, 'seed', { key: DEMO_KEY, groups: count - existingGroups });
    for (const order of ['newest', 'oldest'] as const) {
      await control(sandbox.origin, 'config', { behaviour: { groupOrder: order } });
      await control(sandbox.origin, 'stats/reset', {});
      const run = await measure(() =>
        tester(pollPerform, { authData: { apiKey: DEMO_KEY }, inputData: {}, meta: { limit: -1 } }),
      );
      const stats = (await control(sandbox.origin, 'stats')) as { byRoute: Record<string, number> };
      const requests = stats.byRoute['GET /access-groups'] ?? 0;
      const minimum = order === 'newest' ? 1 : Math.ceil(count / MAX_PAGE_SIZE);
      pollRows.push({
        groups: count,
        order: `${order} first`,
        returned: run.result.length,
        requests,
        minimumRequests: minimum,
        requestRatio: round(requests / minimum),
        wallMs: Math.round(run.ms),
        minimumMs: minimum * LATENCY,
        timeRatio: round(run.ms / (minimum * LATENCY)),
      });
      console.log(JSON.stringify(pollRows[pollRows.length - 1]));
    }
  }
  return pollRows;
};

/**
 * Single-record steps: each path once against the sandbox, counting what reached it; the minimum
 * is the fewest requests the API allows for that path (an email costs one look-up: there is no
 * "by email").
 */
const stepsTable = async ({ sandbox, tester, App }: Bench): Promise<Row[]> => {
  await control(sandbox.origin, 'reset', { empty: false });
  await control(sandbox.origin, 'config', { behaviour: { groupOrder: 'oldest' } });
  const groupsNow = (await api(sandbox.url, 'GET', '/access-groups?limit=100')).data;
  const premium = groupsNow.find((g) => g.name === 'Premium Members')!.id;
  const ops: Operations = { ...App.creates, ...App.triggers, ...(App.searches ?? {}) };
  const step = async (key: string, inputData: Record<string, unknown>) => {
    await control(sandbox.origin, 'stats/reset', {});
    const run = await measure(() =>
      tester(ops[key]!.operation.perform as (z: unknown, b: unknown) => Promise<unknown>, {
        authData: { apiKey: DEMO_KEY },
        inputData,
      }),
    );
    const stats = (await control(sandbox.origin, 'stats')) as { total: number };
    return { result: run.result as Record<string, unknown>, requests: stats.total, ms: run.ms };
  };
  const stepRows: Row[] = [];
  const record = async (
    label: string,
    key: string,
    inputData: Record<string, unknown>,
    minimum: number,
  ) => {
    const run = await step(key, inputData);
    stepRows.push({
      step: label,
      requests: run.requests,
      minimumRequests: minimum,
      requestRatio: round(run.requests / minimum),
      wallMs: Math.round(run.ms),
      minimumMs: minimum * LATENCY,
      timeRatio: round(run.ms / (minimum * LATENCY)),
    });
    console.log(JSON.stringify(stepRows[stepRows.length - 1]));
    return run.result;
  };
  const buyer = 'bench.buyer@example.org';
  const created = await record(
    'Create Member, new, paid, into a group',
    'create_member',
    {
      email: buyer,
      paid: 'true',
      access_group_ids: [premium],
    },
    1,
  );
  await record('Find Member by email, with groups', 'find_member', { email: buyer }, 2);
  await record(
    'Find Member by email, groups off',
    'find_member',
    {
      email: buyer,
      include_access_groups: 'false',
    },
    1,
  );
  await record(
    'Update Member by ID (paid false)',
    'update_member',
    {
      member: String(created.id),
      paid: 'false',
    },
    1,
  );
  await record(
    'Update Member by email (paid true)',
    'update_member',
    { member: buyer, paid: 'true' },
    2,
  );
  // 3: the look-up, the member's groups (Sotion may answer 204 for a non-member), the DELETE.
  await record(
    'Remove Member From Access Group by email',
    'remove_member_from_access_group',
    {
      access_group_id: premium,
      member: buyer,
    },
    3,
  );
  await record(
    'Add Member to Access Group by ID',
    'add_member_to_access_group',
    {
      access_group_id: premium,
      member: String(created.id),
    },
    1,
  );
  await record(
    'Add Member to Access Group by email',
    'add_member_to_access_group',
    {
      access_group_id: premium,
      member: `new.${buyer}`,
      if_member_missing: 'create',
    },
    2,
  );
  await record('Create Login Link by email', 'create_login_link', { member: buyer }, 2);
  await record('Block Member by email', 'block_member', { member: buyer }, 2);
  await record('Delete Member by ID', 'delete_member', { member: String(created.id) }, 1);
  await record('Find Access Group by name', 'find_access_group', { name: 'Premium Members' }, 1);
  return stepRows;
};

/** Cold start (fresh Node processes loading the unzipped build) and the size of build.zip. */
const coldStartTable = () => {
  const zip = join(root, 'build/build.zip');
  if (!existsSync(zip) || statSync(zip).mtimeMs < statSync(join(root, 'dist/index.js')).mtimeMs) {
    execFileSync(
      join(root, 'node_modules/.bin/zapier-platform'),
      ['build', '--skip-dep-install', '--skip-validation'],
      { cwd: root, stdio: 'ignore' },
    );
  }
  const unpacked = mkdtempSync(join(tmpdir(), 'sotion-build-'));
  execFileSync('unzip', ['-q', zip, '-d', unpacked]);
  // Zapier's wrapper loads zapier-platform-core, then the app: time both parts.
  const loader =
    'const t0=process.hrtime.bigint();require("zapier-platform-core");const t1=process.hrtime.bigint();' +
    'const app=require("./index.js");if(!app.creates.bulk_add_members)process.exit(1);const t2=process.hrtime.bigint();' +
    'process.stdout.write(JSON.stringify([Number(t2-t0)/1e6,Number(t1-t0)/1e6,Number(t2-t1)/1e6]));';
  const coldRuns: number[] = [];
  const coreRuns: number[] = [];
  const appRuns: number[] = [];
  const processRuns: number[] = [];
  for (let i = 0; i < 11; i += 1) {
    const started = performance.now();
    const run = spawnSync(process.execPath, ['-e', loader], { cwd: unpacked, encoding: 'utf8' });
    processRuns.push(performance.now() - started);
    const [all, core, app] = JSON.parse(run.stdout) as [number, number, number];
    coldRuns.push(all);
    coreRuns.push(core);
    appRuns.push(app);
  }
  const empty: number[] = [];
  for (let i = 0; i < 11; i += 1) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', ''], { encoding: 'utf8' });
    empty.push(performance.now() - started);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const table = {
    runs: 11,
    medianRequireMs: round(median(coldRuns), 1),
    medianCoreOnlyMs: round(median(coreRuns), 1),
    medianAppAfterCoreMs: round(median(appRuns), 1),
    medianProcessMs: round(median(processRuns), 1),
    medianEmptyNodeMs: round(median(empty), 1),
    buildZipBytes: statSync(zip).size,
  };
  console.log(JSON.stringify(table));
  return table;
};

/** bench/results.json, bench/results.md and docs/performance.md's bench section. */
const writeResults = (results: Record<string, unknown>, md: string) => {
  writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(root, 'bench/results.md'), md);
  const readme = join(root, 'docs/performance.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(
      readme,
      text.slice(0, text.indexOf(start) + start.length) +
        '\n\n' +
        md +
        '\n' +
        text.slice(text.indexOf(end)),
    );
  }
  // The tables as the project's formatter writes them, so `npm run lint` stays green.
  execFileSync(
    'npx',
    ['prettier', '--write', 'docs/performance.md', 'bench/results.md', 'bench/results.json'],
    {
      cwd: root,
      stdio: 'ignore',
    },
  );
};

// ---- The issue-19 steps (Set Member's Access Groups, Sync, Bulk Remove, Export) -------------------
type Perform = (z: unknown, b: unknown) => Promise<unknown>;
type Tester = ReturnType<ZapierCore['createAppTester']>;

/**
 * z.stashFile outside Zapier: core asks `${ZAPIER_BASE_ENDPOINT}/platform/rpc/cli` for a
 * presigned upload; this loopback stand-in answers with the sandbox's file store, so Export
 * Members stores its CSV there. Set before core loads (it reads the endpoint once).
 */
const startStashRpc = async (filesUrl: string) => {
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { id } = JSON.parse(body || '{}') as { id?: string };
      n += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          result: { url: filesUrl, fields: { key: `bench-export-${n}.csv`, policy: 'e30=' } },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.ZAPIER_BASE_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.ZAPIER_DEPLOY_KEY ??= 'bench';
  return server;
};

/**
 * Each new step once against the sandbox process, its requests against the fewest the API
 * allows (issue 19): Set, 1 read by ID or 2 by email plus 1 per change; Sync, the group's pages,
 * ceil(new/500) creates, the existing non-members' ids the cheapest way, 1 per add and removal
 * (a repeat: the group's pages); Bulk Remove, the group's pages plus 1 per removal; Export,
 * ceil(members/100) pages plus the group list and each custom group's member pages.
 */
const newStepsTable = async (
  sandbox: { url: string; origin: string },
  tester: Tester,
  ops: Record<string, { operation: { perform: never } }>,
) => {
  const rows: Array<Record<string, unknown>> = [];
  const emails = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}${i}@example.org`);
  const group = async (name: string) =>
    (await api(sandbox.url, 'POST', '/access-groups', { name })).data.id;
  /** Members created straight into groups, 500 a request (set-up, not counted). */
  const seedInto = async (list: string[], groupIds: string[]) => {
    for (let i = 0; i < list.length; i += 500)
      await api(sandbox.url, 'POST', '/members/bulk', {
        members: list.slice(i, i + 500).map((email) => ({ email })),
        accessGroupIds: groupIds,
      });
  };
  const idOf = async (email: string) =>
    (await api(sandbox.url, 'GET', `/members?email=${encodeURIComponent(email)}&limit=1`)).data[0]!
      .id;
  const record = async (
    label: string,
    key: string,
    inputData: Record<string, unknown>,
    minimum: number,
    minimumIs: string,
  ) => {
    await control(sandbox.origin, 'stats/reset', {});
    const run = await measure(() =>
      tester(ops[key]!.operation.perform as Perform, {
        authData: { apiKey: DEMO_KEY },
        inputData,
        meta: {},
      }),
    );
    const stats = (await control(sandbox.origin, 'stats')) as {
      total: number;
      byRoute: Record<string, number>;
    };
    rows.push({
      step: label,
      requests: stats.total,
      minimumRequests: minimum,
      minimumIs,
      requestRatio:
        minimum === 0 ? (stats.total === 0 ? 1 : stats.total) : round(stats.total / minimum),
      wallMs: Math.round(run.ms),
      byRoute: stats.byRoute,
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
    return run.result as Record<string, unknown>;
  };

  // Set Member's Access Groups: a plan change, Silver to Gold (1 add, 1 removal).
  await control(sandbox.origin, 'reset', {});
  const silver = await group('Silver Plan');
  const gold = await group('Gold Plan');
  const [byId, byEmail] = emails('plan', 2) as [string, string];
  await seedInto([byId, byEmail], [silver]);
  const plan = { access_group_ids: [gold], managed_access_group_ids: [silver, gold] };
  await record(
    "Set Member's Access Groups by ID, Silver to Gold",
    'set_member_access_groups',
    { ...plan, member: await idOf(byId) },
    3,
    '1 read + 2 changes',
  );
  await record(
    "Set Member's Access Groups by email, Silver to Gold",
    'set_member_access_groups',
    { ...plan, member: byEmail },
    4,
    '2 reads + 2 changes',
  );

  // Sync: a 1,000-member group; the list keeps 900, adds 100 members, brings 100 new.
  await control(sandbox.origin, 'reset', {});
  const synced = await group('Nightly');
  const kept = emails('kept', 900);
  const leaving = emails('leaving', 100);
  const joining = emails('joining', 100);
  const fresh = emails('fresh', 100);
  await seedInto([...kept, ...leaving], [synced]);
  await control(sandbox.origin, 'seed', { key: DEMO_KEY, members: joining });
  const site = (
    (await control(sandbox.origin, 'state')) as {
      sites: Array<{ members: Array<{ email: string; createdAt: string; id: string }> }>;
    }
  ).sites[0]!;
  // The ids of the 100 to add, the cheapest way: a look-up each, or the site's member list
  // (newest first) down to the last of them.
  const newestFirst = [...site.members].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
  );
  const wanted = new Set(joining);
  const lastWanted = newestFirst.reduce((last, m, i) => (wanted.has(m.email) ? i : last), 0);
  const idMinimum = Math.min(wanted.size, Math.ceil((lastWanted + 1) / 100));
  const syncInput = {
    access_group_id: synced,
    emails: [[...kept, ...joining, ...fresh].join('\n')],
    max_removals: '100',
  };
  const syncMin = 10 + Math.ceil(fresh.length / 500) + idMinimum + joining.length + leaving.length;
  await record(
    'Sync Access Group Members: 1,000 in the group; 100 adds, 100 new, 100 removals',
    'sync_access_group_members',
    syncInput,
    syncMin,
    `10 group pages + 1 create + ${idMinimum} id page(s) + 100 adds + 100 removals`,
  );
  await record(
    'Sync Access Group Members, the same list again',
    'sync_access_group_members',
    syncInput,
    11,
    '11 group pages (1,100 members)',
  );

  // Bulk Remove: 500 of a 2,000-member group, every fourth (so every page holds some).
  await control(sandbox.origin, 'reset', {});
  const big = await group('Big');
  const inBig = emails('big', 2000);
  await seedInto(inBig, [big]);
  await record(
    'Bulk Remove Members From Access Group: 500 of 2,000 (every fourth)',
    'bulk_remove_members_from_access_group',
    { access_group_id: big, emails: [inBig.filter((_, i) => i % 4 === 0).join('\n')] },
    20 + 500,
    '20 group pages + 500 removals',
  );

  // Export Members: 2,000 members, each in one of 5 new custom groups (400 each), next to the
  // demo site's own few members and groups.
  await control(sandbox.origin, 'reset', {});
  const all = emails('export', 2000);
  for (let g = 0; g < 5; g += 1) {
    const id = await group(`Export ${g + 1}`);
    await seedInto(
      all.filter((_, i) => i % 5 === g),
      [id],
    );
  }
  const now = (
    (await control(sandbox.origin, 'state')) as {
      sites: Array<{
        members: unknown[];
        groups: Array<{ id: string; type: string }>;
        memberships: Record<string, string[]>;
      }>;
    }
  ).sites[0]!;
  const custom = now.groups.filter((g) => g.type === 'custom');
  const groupPages = custom.reduce(
    (sum, g) => sum + Math.ceil((now.memberships[g.id] ?? []).length / 100),
    0,
  );
  const memberPages = Math.ceil(now.members.length / 100);
  const listPages = Math.ceil(now.groups.length / 100);
  const exported = await record(
    `Export Members: ${now.members.length.toLocaleString('en-US')} members, ${custom.length} custom groups`,
    'export_members',
    {},
    memberPages + listPages + groupPages,
    `${memberPages} member pages + ${listPages} group list + ${groupPages} group pages`,
  );
  if (exported.rowCount !== now.members.length)
    throw new Error(`export wrote ${String(exported.rowCount)} rows of ${now.members.length}`);
  return rows;
};

const newStepsMarkdown = (rows: Array<Record<string, unknown>>): string =>
  [
    '**New steps** (issue 19; one run each against the sandbox; the minimum is the fewest requests the API allows)',
    '',
    '| Step | Requests | Minimum | Minimum is | Ratio | Time |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${String(row.step)} | ${String(row.requests)} | ${String(row.minimumRequests)} | ${String(row.minimumIs)} | ${String(row.requestRatio)} | ${String(row.wallMs)} ms |`,
    ),
    '',
  ].join('\n');

const main = async () => {
  if (ARGS.flood) return void (await floodBench({ root, latencyMs: LATENCY }));
  const bench = await setUp();
  const allOps = { ...bench.App.creates, ...bench.App.triggers, ...(bench.App.searches ?? {}) };
  if (ARGS.only === 'new-steps') {
    const rows = await newStepsTable(bench.sandbox, bench.tester, allOps);
    bench.sandbox.child.kill();
    bench.stashRpc.close();
    console.log(`\nLatency ${LATENCY} ms per request, Node ${process.version}.\n`);
    console.log(newStepsMarkdown(rows));
    return;
  }
  const results: Record<string, unknown> = {
    latencyMs: LATENCY,
    node: process.version,
    date: new Date().toISOString(),
  };
  results.bulk = await bulkTable(bench);
  results.hostile = await hostileTable(bench);
  if (!QUICK) results.replay25k = await replay25k(bench);
  results.singleCreates = await singleCreatesTable(bench, results.bulk as Row[]);
  results.poll = await pollTable(bench);
  results.steps = await stepsTable(bench);
  results.newSteps = await newStepsTable(bench.sandbox, bench.tester, allOps);
  bench.sandbox.child.kill();
  bench.stashRpc.close();
  results.coldStart = coldStartTable();

  const md = markdown(results);
  if (!ARGS.write) {
    console.log(md);
    console.log(
      '(not written: run with --write to update bench/results.* and docs/performance.md)',
    );
    return;
  }
  writeResults(results, md);
  console.log(md);
};

const markdown = (r: Record<string, unknown>): string => {
  const bulk = r.bulk as Array<
    Record<string, unknown> & {
      requests: Record<string, number>;
      minimumRequests: Record<string, number>;
    }
  >;
  const poll = r.poll as Array<Record<string, unknown>>;
  const single = r.singleCreates as {
    msPerMember: number;
    measuredMembers: number;
    comparison: Array<Record<string, unknown>>;
  };
  const cold = r.coldStart as {
    runs: number;
    medianRequireMs: number;
    medianCoreOnlyMs: number;
    medianAppAfterCoreMs: number;
    medianProcessMs: number;
    medianEmptyNodeMs: number;
    buildZipBytes: number;
  };
  const hostile = (r.hostile ?? []) as Array<Record<string, unknown>>;
  const big = r.replay25k as Record<string, unknown> | undefined;
  const lines = [
    `Measured by \`npm run bench\` on ${String(r.date).slice(0, 10)}, Node ${String(r.node)}, sandbox latency ${String(r.latencyMs)} ms per request, 2 cores.`,
    '',
    "**Bulk Add Members** (requests: bulk / look-ups and member-list pages / group adds / group checks / group list pages; minimum = ceil(new/500) + the existing members' ids at the cheaper of a look-up each or the member list + an add per group for each; a replay of the same step has nothing left to do: its memory knows)",
    '',
    '| Input | Groups | Requests | Minimum | Ratio | Time | Minimum time | Ratio | Peak RSS |',
    '|---|---|---|---|---|---|---|---|---|',
    ...bulk.map(
      (b) =>
        `| ${String(b.scenario)} | ${String(b.groups)} | ${b.requests.total} (${b.requests.bulk}/${b.requests.lookups}/${b.requests.groupAdds}/${b.requests.groupChecks}/${b.requests.listPages}) | ${b.minimumRequests.total} | ${String(b.requestRatio)} | ${String(b.wallMs)} ms | ${String(b.minimumMs)} ms | ${String(b.timeRatio)} | ${String(b.peakRssMb)} MB |`,
    ),
    '',
    `**The alternative: one Create Member request per member** (${single.msPerMember} ms per member, measured over ${single.measuredMembers})`,
    '',
    '| Input | Single-create requests | Bulk requests | Ratio | Single-create time | Bulk time | Ratio |',
    '|---|---|---|---|---|---|---|',
    ...single.comparison.map(
      (c) =>
        `| ${String(c.scenario)} | ${String(c.singleRequests)} | ${String(c.bulkRequests)} | ${String(c.requestRatio)}× | ${String(c.singleMs)} ms (${String(c.singleMsIs)}) | ${String(c.bulkMs)} ms | ${String(c.timeRatio)}× |`,
    ),
    '',
    '**Under rate limits** (1,235 emails into one group, 100 existing members not in it, 429s with only X-RateLimit-Reset; ids of existing members: look-ups + member-list pages in the first run, against the fewest possible)',
    '',
    '| Rate limit | Runs to converge | Requests per run | Ids: requests | Ids: minimum | Ratio |',
    '|---|---|---|---|---|---|',
    ...hostile.map(
      (h) =>
        `| ${String(h.scenario)} | ${String(h.runsToConverge)}${h.converged ? '' : ' (not converged)'} | ${(h.requestsPerRun as number[]).join(', ')} | ${String(h.idRequests)} | ${String(h.idMinimum)} | ${String(h.idRatio)} |`,
    ),
    '',
    ...(big
      ? [
          `**Replay of a 25,000-member import, all in the group, at 100 ms per request**: ${String(big.replayRuns)} run, ${String(big.replayRequests)} requests, ${String(big.replayMs)} ms (the import took ${String(big.importRuns)} run(s)). Without the step's memory: ${String(big.withoutMemoryRuns)} run(s)${big.withoutMemoryConverged ? '' : ' (not converged)'}, requests per run ${(big.withoutMemoryRequestsPerRun as number[]).join(', ')}.`,
          '',
        ]
      : []),
    '**Single-record steps** (one run each against the sandbox; the minimum is the fewest requests the API allows for that path: a member given by email costs one look-up, since no endpoint takes an email)',
    '',
    '| Step | Requests | Minimum | Ratio | Time | Minimum time | Ratio |',
    '|---|---|---|---|---|---|---|',
    ...((r.steps as Array<Record<string, unknown>> | undefined) ?? []).map(
      (row) =>
        `| ${String(row.step)} | ${String(row.requests)} | ${String(row.minimumRequests)} | ${String(row.requestRatio)} | ${String(row.wallMs)} ms | ${String(row.minimumMs)} ms | ${String(row.timeRatio)} |`,
    ),
    '',
    newStepsMarkdown((r.newSteps as Array<Record<string, unknown>> | undefined) ?? []),
    '**New Access Group** (one poll)',
    '',
    '| Groups | Sandbox order | Returned | Requests | Minimum | Ratio | Time | Minimum time | Ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...poll.map(
      (p) =>
        `| ${String(p.groups)} | ${String(p.order)} | ${String(p.returned)} | ${String(p.requests)} | ${String(p.minimumRequests)} | ${String(p.requestRatio)} | ${String(p.wallMs)} ms | ${String(p.minimumMs)} ms | ${String(p.timeRatio)} |`,
    ),
    '',
    `**Cold start** (median of ${cold.runs} fresh Node processes loading the unzipped build until the definition is ready): ${cold.medianRequireMs} ms, of which zapier-platform-core itself ${cold.medianCoreOnlyMs} ms and this app (zod and our code) ${cold.medianAppAfterCoreMs} ms; ${cold.medianProcessMs} ms for the whole process (an empty Node process: ${cold.medianEmptyNodeMs} ms). **build.zip**: ${(cold.buildZipBytes / 2 ** 20).toFixed(2)} MB.`,
    '',
  ];
  return lines.join('\n');
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
