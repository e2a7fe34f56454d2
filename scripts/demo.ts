/**
 * `npm start`: the integration end to end on the embedded default. Builds the app (the npm script
 * does, into .tools/), starts two Sotion sandboxes on free loopback ports, runs each operation
 * through the real Zapier CLI (`zapier-platform invoke`), checks the sandboxes' state, and prints
 * a transcript. Steps 6 and 7 run on the second sandbox beside the others (each CLI call is about
 * 2 s of one core, spent loading the CLI); the transcript prints in step order all the same.
 * Exits 0 only if every step did what it should.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { DEMO_KEY, makeMember, type SiteData } from '../sandbox/store';
import { demoFlows, demoNewFlows } from './demo-flows';
import { demoInstantTrigger } from './demo-hooks';
import { cliIn, transcript, workDir, type Cli, type Part } from './demo-parts';

type Track = { sandbox: Sandbox; site: SiteData; appDir: string; cli: Cli };

const trackOn = async (name: string): Promise<Track> => {
  const sandbox = await startSandbox({ port: 0, rateLimit: 100_000 });
  const site = sandbox.store.siteForKey(DEMO_KEY) as SiteData;
  return { sandbox, site, ...cliIn(sandbox, name) };
};

/**
 * sessionConfig.perform through the CLI: `auth start` runs it too, but only interactively; `auth
 * refresh` runs it with the authData given and appends its result to .env, as Zapier keeps it in
 * authData.
 */
const connect = async ({ sandbox, appDir, cli }: Track, { log, check }: Part) => {
  const found = await cli(['auth', 'refresh']);
  const envFile = join(appDir, '.env');
  const env = existsSync(envFile) ? readFileSync(envFile, 'utf8') : '';
  log(`    perform: ${env.trim() || found.stderr.trim().split('\n').pop()}`);
  check(
    found.code === 0 && env.includes(`authData_apiBaseUrl='${sandbox.url}'`),
    'perform found the documented base and the CLI keeps it as authData.apiBaseUrl',
  );
};

/** Steps 1 to 5: connecting, Create Access Group, Bulk Add Members, the polling and the instant trigger. */
const firstSteps = async (track: Track, part: Part) => {
  const { sandbox, site, cli } = track;
  const { log, step, check } = part;
  // 1. Connecting (session auth): sessionConfig.perform finds the API's base, then the test
  step(
    1,
    'Connecting: sessionConfig.perform (GET /site), then the connection test (GET /site)',
    'authData.apiKey = the demo site key',
  );
  sandbox.resetStats();
  await connect(track, part);
  const auth = await cli(['auth', 'test']);
  const siteOut = auth.json as { title?: string; connectionLabel?: string } | undefined;
  log(`    out: ${JSON.stringify(siteOut)}`);
  check(
    auth.code === 0 && siteOut?.connectionLabel === 'Demo Docs',
    'connection labelled "Demo Docs"',
  );
  check(
    JSON.stringify(sandbox.stats.byRoute) === '{"GET /site":2}',
    `connecting took 2 requests, perform's and the test's (${JSON.stringify(sandbox.stats.byRoute)})`,
  );
  const label = await cli(['auth', 'label']);
  check(
    label.code === 0,
    `connection label renders (${JSON.stringify(label.json ?? label.stderr.trim().split('\n').pop())})`,
  );

  // 2. Create Access Group
  step(
    2,
    'Create Access Group',
    '{"name":"Launch Cohort","description":"Bought during the launch week"}',
  );
  const created = await cli([
    'create',
    'create_access_group',
    '--non-interactive',
    '-i',
    JSON.stringify({ name: 'Launch Cohort', description: 'Bought during the launch week' }),
  ]);
  const group = created.json as
    { id?: string; name?: string; alreadyExisted?: boolean } | undefined;
  log(`    out: ${JSON.stringify(group)}`);
  check(
    created.code === 0 && group?.name === 'Launch Cohort' && group.alreadyExisted === false,
    'group created',
  );
  check(
    site.groups.filter((g) => g.name === 'Launch Cohort').length === 1,
    'sandbox holds exactly one "Launch Cohort"',
  );
  const again = await cli([
    'create',
    'create_access_group',
    '--non-interactive',
    '-i',
    JSON.stringify({ name: 'Launch Cohort', if_name_taken: 'return_existing' }),
  ]);
  const same = again.json as { id?: string; alreadyExisted?: boolean } | undefined;
  check(
    again.code === 0 && same?.id === group?.id && same?.alreadyExisted === true,
    'replay returns the same group (alreadyExisted: true)',
  );
  check(
    site.groups.filter((g) => g.name === 'Launch Cohort').length === 1,
    'still exactly one "Launch Cohort"',
  );

  // 3. Bulk Add Members: 1,000 new, 100 existing, 30 duplicates, 20 invalid
  const existing = Array.from({ length: 100 }, (_, i) => `existing${i}@example.org`);
  for (const email of existing) site.members.push(makeMember(email));
  const fresh = Array.from({ length: 1000 }, (_, i) => `buyer${i}@example.org`);
  const duplicates = fresh.slice(0, 30).map((e) => `  ${e.toUpperCase()} `);
  const invalid = Array.from({ length: 20 }, (_, i) =>
    i % 2 ? `no-at-sign-${i}.example.org` : `two@@ats${i}.org`,
  );
  const premium = site.groups.find((g) => g.name === 'Premium Members')!;
  const lineItems = fresh
    .slice(0, 200)
    .map((email, i) => ({ email, display_name: `Buyer ${i}`, paid: 'true' }));
  const emailList = [
    fresh.slice(200).join(', '),
    existing.join('; '),
    duplicates.join('\n'),
    invalid.join(' '),
  ];
  const bulkInput = {
    members: lineItems,
    emails: emailList,
    access_group_ids: [group?.id, premium.id],
    default_paid: 'false',
  };
  const inputFile = join(workDir(), 'bulk.json');
  writeFileSync(inputFile, JSON.stringify(bulkInput));
  step(
    3,
    'Bulk Add Members',
    `200 line items + 4 email-list entries = ${(fresh.length + existing.length + duplicates.length + invalid.length).toLocaleString('en-US')} emails ` +
      `(1,000 new, 100 existing, 30 duplicates, 20 invalid) into "Launch Cohort" and "Premium Members"`,
  );
  sandbox.resetStats();
  const bulk = await cli([
    'create',
    'bulk_add_members',
    '--non-interactive',
    '-i',
    `@${inputFile}`,
  ]);
  const out = bulk.json as
    (Record<string, number> & { results?: Array<{ email: string; status: string }> }) | undefined;
  if (bulk.code !== 0) log(bulk.stderr);
  log(
    `    out: total ${out?.total}, created ${out?.createdCount}, ` +
      `already members ${(out?.existingCount ?? 0) + (out?.addedToGroupsCount ?? 0)} ` +
      `(${out?.addedToGroupsCount} of them added to the groups), duplicates ${out?.duplicateCount}, invalid ${out?.invalidCount}, ` +
      `failed ${out?.failedCount}; ${out?.apiRequests} API requests in ${bulk.ms} ms (CLI start-up included)`,
  );
  log(`    requests by kind: ${JSON.stringify(sandbox.stats.byRoute)}`);
  check(bulk.code === 0, 'step succeeded');
  check(
    out?.total === 1150 && out?.results?.length === 1150,
    'every input email appears once in the output (1,150)',
  );
  check(
    out?.createdCount === 1000 && out?.addedToGroupsCount === 100,
    '1,000 created, 100 existing added to the groups',
  );
  check(
    out?.duplicateCount === 30 && out?.invalidCount === 20 && out?.failedCount === 0,
    '30 duplicates and 20 invalid reported, none failed',
  );
  check(
    sandbox.stats.byRoute['POST /members/bulk'] === 3,
    'the 1,100 valid emails sent in 3 bulk requests of at most 500 (existing ones cannot be known in advance)',
  );
  check(
    (sandbox.stats.byRoute['GET /members'] ?? 0) +
      (sandbox.stats.byRoute['GET /members?email'] ?? 0) <=
      100 && sandbox.stats.byRoute['POST /access-groups/:id/members'] === 200,
    'at most 100 look-ups or member-list pages and 200 group adds for the 100 existing members, nothing more',
  );
  const emails = site.members.map((m) => m.email);
  check(new Set(emails).size === emails.length, 'no member exists twice in the sandbox');
  const inBoth = [...fresh, ...existing].every((email) => {
    const m = site.members.find((x) => x.email === email);
    return (
      m && [group?.id, premium.id].every((g) => (site.memberships[String(g)] ?? []).includes(m.id))
    );
  });
  check(inBoth, 'all 1,100 valid members are in both groups');
  check(
    !site.members.some((m) => /@@|no-at-sign/.test(m.email)),
    'no invalid address reached the sandbox',
  );
  const paid = site.members.filter((m) => m.email.startsWith('buyer')).map((m) => m.paid);
  check(
    paid.slice(0, 200).every(Boolean) && paid.slice(200).every((p) => p === false),
    'line items paid, list entries not paid (default)',
  );

  // 4. New Access Group
  step(4, 'New Access Group (poll)', 'no filter');
  const poll = await cli(['trigger', 'new_access_group', '--non-interactive']);
  const groups = (poll.json as Array<{ name: string }> | undefined) ?? [];
  log(
    `    out: ${groups.length} groups, newest first: ${groups
      .slice(0, 4)
      .map((g) => g.name)
      .join(', ')}`,
  );
  check(poll.code === 0 && groups[0]?.name === 'Launch Cohort', 'newest group first');
  check(groups.length === site.groups.length, `every group once (${site.groups.length})`);
  const scope = await cli([
    'trigger',
    'new_access_group',
    '--non-interactive',
    '-i',
    '{"type":"scope"}',
  ]);
  check(
    JSON.stringify(((scope.json as Array<{ name: string }>) ?? []).map((g) => g.name)) ===
      '["Course Students"]',
    'type filter "scope" returns only the scope group',
  );
  await demoInstantTrigger(sandbox, part, 5);
};

const main = async () => {
  const [first, second] = await Promise.all([trackOn('app'), trackOn('app-2')]);
  console.log(
    `Sotion sandboxes on ${first.sandbox.url} and ${second.sandbox.url} ` +
      `(demo site "${first.site.site.title}" on each, key ${DEMO_KEY.slice(0, 10)}…)`,
  );
  console.log(
    `Running the built integration through ${'`zapier-platform invoke`'} against them: ` +
      'steps 6 and 7 on the second, at the same time as the rest, to use both cores ' +
      '(the transcript prints in step order).',
  );
  const out = transcript(3);
  const [one, two, three] = [out.part(0), out.part(1), out.part(2)];
  try {
    await Promise.all([
      (async () => {
        await firstSteps(first, one);
        one.end();
        await demoNewFlows(first.site, first.sandbox.origin, first.cli, three, 8);
        three.end();
      })(),
      (async () => {
        two.log('\nOn the second sandbox (steps 6 and 7), connected as in step 1:');
        await connect(second, two);
        await demoFlows(second.site, second.cli, two, 6);
        two.end();
      })(),
    ]);
  } finally {
    out.endAll();
    await Promise.all([first.sandbox.close(), second.sandbox.close()]);
    rmSync(workDir(), { recursive: true, force: true });
  }
  const failures = out.failures();
  console.log(
    `\n${failures === 0 ? 'All steps did what they should.' : `${failures} check(s) failed.`}`,
  );
  process.exit(failures === 0 ? 0 : 1);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
