/**
 * `npm start`: the integration end to end on the embedded default. Builds the app (the npm script
 * does), starts the Sotion sandbox on a free loopback port, runs each operation through the real
 * Zapier CLI (`zapier-platform invoke`), checks the sandbox's state, and prints a transcript.
 * Exits 0 only if every step did what it should.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { DEMO_KEY, makeMember, type SiteData } from '../sandbox/store';

const root = resolve(__dirname, '..', '..');
const cli = join(root, 'node_modules', '.bin', 'zapier-platform');
const work = mkdtempSync(join(tmpdir(), 'sotion-demo-'));
/**
 * Where the CLI runs: the app's files linked into a directory of its own. `invoke` reads `.env`
 * in its working directory over the environment, and `invoke auth refresh` appends the computed
 * auth field to it: a developer's own `.env` neither overrides the demo nor receives its values.
 */
const appDir = join(work, 'app');
mkdirSync(appDir);
for (const entry of ['package.json', 'index.js', 'dist', 'node_modules']) {
  symlinkSync(join(root, entry), join(appDir, entry));
}

let failures = 0;
const check = (ok: boolean, text: string) => {
  if (!ok) failures += 1;
  console.log(`    ${ok ? '✓' : '✗'} ${text}`);
};

const invoke = (
  sandbox: Sandbox,
  args: string[],
): Promise<{ code: number; json: unknown; stderr: string; ms: number }> =>
  new Promise((done) => {
    const started = Date.now();
    const child = spawn(cli, ['invoke', ...args], {
      cwd: appDir,
      env: {
        ...process.env,
        SOTION_API_BASE_URL: sandbox.url,
        authData_apiKey: DEMO_KEY,
        FORCE_COLOR: '0',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      const start = stdout.search(/^[[{]/m);
      let json: unknown;
      try {
        json = start >= 0 ? JSON.parse(stdout.slice(start)) : undefined;
      } catch {
        // no JSON result: the transcript shows stderr instead
      }
      done({
        code: code ?? 1,
        json,
        stderr: stderr + (json === undefined ? stdout : ''),
        ms: Date.now() - started,
      });
    });
  });

const step = (n: number, title: string, input: string) => {
  console.log(`\n${n}. ${title}`);
  console.log(`    in:  ${input}`);
};

const main = async () => {
  const sandbox = await startSandbox({ port: 0, rateLimit: 100_000 });
  const site = sandbox.store.siteForKey(DEMO_KEY) as SiteData;
  console.log(
    `Sotion sandbox on ${sandbox.url} (demo site "${site.site.title}", key ${DEMO_KEY.slice(0, 10)}…)`,
  );
  console.log(`Running the built integration through ${'`zapier-platform invoke`'} against it.`);
  try {
    // 1. Connecting (session auth): sessionConfig.perform finds the API's base, then the test
    step(
      1,
      'Connecting: sessionConfig.perform (GET /site), then the connection test (GET /site)',
      'authData.apiKey = the demo site key',
    );
    sandbox.resetStats();
    // `auth start` runs perform too, but only interactively; `auth refresh` runs it with the
    // authData given and appends its result to .env, as Zapier keeps it in authData.
    const found = await invoke(sandbox, ['auth', 'refresh']);
    const envFile = join(appDir, '.env');
    const env = existsSync(envFile) ? readFileSync(envFile, 'utf8') : '';
    console.log(`    perform: ${env.trim() || found.stderr.trim().split('\n').pop()}`);
    check(
      found.code === 0 && env.includes(`authData_apiBaseUrl='${sandbox.url}'`),
      'perform found the documented base and the CLI keeps it as authData.apiBaseUrl',
    );
    const auth = await invoke(sandbox, ['auth', 'test']);
    const siteOut = auth.json as { title?: string; connectionLabel?: string } | undefined;
    console.log(`    out: ${JSON.stringify(siteOut)}`);
    check(
      auth.code === 0 && siteOut?.connectionLabel === 'Demo Docs',
      'connection labelled "Demo Docs"',
    );
    check(
      JSON.stringify(sandbox.stats.byRoute) === '{"GET /site":2}',
      `connecting took 2 requests, perform's and the test's (${JSON.stringify(sandbox.stats.byRoute)})`,
    );
    const label = await invoke(sandbox, ['auth', 'label']);
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
    const created = await invoke(sandbox, [
      'create',
      'create_access_group',
      '--non-interactive',
      '-i',
      JSON.stringify({ name: 'Launch Cohort', description: 'Bought during the launch week' }),
    ]);
    const group = created.json as
      { id?: string; name?: string; alreadyExisted?: boolean } | undefined;
    console.log(`    out: ${JSON.stringify(group)}`);
    check(
      created.code === 0 && group?.name === 'Launch Cohort' && group.alreadyExisted === false,
      'group created',
    );
    check(
      site.groups.filter((g) => g.name === 'Launch Cohort').length === 1,
      'sandbox holds exactly one "Launch Cohort"',
    );
    const again = await invoke(sandbox, [
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
    const inputFile = join(work, 'bulk.json');
    writeFileSync(inputFile, JSON.stringify(bulkInput));
    step(
      3,
      'Bulk Add Members',
      `200 line items + 4 email-list entries = ${(fresh.length + existing.length + duplicates.length + invalid.length).toLocaleString('en-US')} emails ` +
        `(1,000 new, 100 existing, 30 duplicates, 20 invalid) into "Launch Cohort" and "Premium Members"`,
    );
    sandbox.resetStats();
    const bulk = await invoke(sandbox, [
      'create',
      'bulk_add_members',
      '--non-interactive',
      '-i',
      `@${inputFile}`,
    ]);
    const out = bulk.json as
      (Record<string, number> & { results?: Array<{ email: string; status: string }> }) | undefined;
    if (bulk.code !== 0) console.log(bulk.stderr);
    console.log(
      `    out: total ${out?.total}, created ${out?.createdCount}, ` +
        `already members ${(out?.existingCount ?? 0) + (out?.addedToGroupsCount ?? 0)} ` +
        `(${out?.addedToGroupsCount} of them added to the groups), duplicates ${out?.duplicateCount}, invalid ${out?.invalidCount}, ` +
        `failed ${out?.failedCount}; ${out?.apiRequests} API requests in ${bulk.ms} ms (CLI start-up included)`,
    );
    console.log(`    requests by kind: ${JSON.stringify(sandbox.stats.byRoute)}`);
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
        m &&
        [group?.id, premium.id].every((g) => (site.memberships[String(g)] ?? []).includes(m.id))
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
    const poll = await invoke(sandbox, ['trigger', 'new_access_group', '--non-interactive']);
    const groups = (poll.json as Array<{ name: string }> | undefined) ?? [];
    console.log(
      `    out: ${groups.length} groups, newest first: ${groups
        .slice(0, 4)
        .map((g) => g.name)
        .join(', ')}`,
    );
    check(poll.code === 0 && groups[0]?.name === 'Launch Cohort', 'newest group first');
    check(groups.length === site.groups.length, `every group once (${site.groups.length})`);
    const scope = await invoke(sandbox, [
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
    await (await import('./demo-hooks')).demoInstantTrigger(sandbox, check, 5);
    await (
      await import('./demo-flows')
    ).demoFlows(site, (args) => invoke(sandbox, args), check, step, 6);
    await (
      await import('./demo-flows')
    ).demoNewFlows(site, sandbox.origin, (args) => invoke(sandbox, args), check, step, 8);
  } finally {
    await sandbox.close();
  }
  console.log(
    `\n${failures === 0 ? 'All steps did what they should.' : `${failures} check(s) failed.`}`,
  );
  process.exit(failures === 0 ? 0 : 1);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
