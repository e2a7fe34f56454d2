/**
 * `npm start`, the flows part: a sale and a cancellation as users build them, each step through
 * `zapier-platform invoke`, with the sandbox's state checked after the flow. Find or Create Member
 * runs as Zapier runs it (invoke has no search-or-create locally): the search, then the create
 * when the search finds nobody.
 */
import { makeGroup, makeMember, type SiteData } from '../sandbox/store';
import type { Cli, Part } from './demo-parts';

type Item = Record<string, unknown>;

/** The CLI's steps for one part of the transcript: `run` a step, `show` what it returned. */
const runner = (invoke: Cli, log: Part['log']) => ({
  run: async (kind: string, key: string, input: object): Promise<Item> => {
    const result = await invoke([kind, key, '--non-interactive', '-i', JSON.stringify(input)]);
    if (result.code !== 0) {
      log(`    ${key} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
      return {};
    }
    const json = result.json;
    return (Array.isArray(json) ? { found: json } : json) as Item;
  },
  show: (key: string, input: object, out: Item, keys: string[]) =>
    log(
      `    ${key} ${JSON.stringify(input)}\n      → ${JSON.stringify(
        Object.fromEntries(keys.map((k) => [k, out[k]])),
      )}`,
    ),
});

export const demoFlows = async (site: SiteData, invoke: Cli, part: Part, n: number) => {
  const { log, step, check } = part;
  const { run, show } = runner(invoke, log);
  const email = 'stripe.buyer@example.org';
  const premium = site.groups.find((g) => g.name === 'Premium Members')?.id ?? '';
  const memberNow = () => site.members.find((m) => m.email === email);
  const groupsNow = (id: string) =>
    Object.entries(site.memberships)
      .filter(([, ids]) => ids.includes(id))
      .map(([groupId]) => site.groups.find((g) => g.id === groupId)?.name);

  step(n, 'A sale (Stripe → Sotion)', `a new customer ${email} buys the premium plan`);
  const search = { email };
  const found = await run('search', 'find_member', search);
  show('search find_member', search, found, ['found']);
  const create = { email, display_name: 'Stripe Buyer', paid: 'true' };
  let buyer: Item = ((found.found as Item[] | undefined) ?? [])[0] ?? {};
  if (!buyer.id) {
    buyer = await run('create', 'create_member', create);
    show('create create_member', create, buyer, ['id', 'email', 'paid', 'alreadyExisted']);
  }
  const add = { access_group_id: premium, member: String(buyer.id) };
  const added = await run('create', 'add_member_to_access_group', add);
  show('create add_member_to_access_group', add, added, [
    'email',
    'accessGroupNames',
    'alreadyInGroup',
  ]);
  const linkInput = { member: email };
  const link = await run('create', 'create_login_link', linkInput);
  show(
    'create create_login_link',
    linkInput,
    { ...link, url: link.url ? '(a login link)' : undefined },
    ['status', 'url', 'expiresAt'],
  );
  const afterSale = memberNow();
  check(
    afterSale?.paid === true && afterSale.status === 'active',
    'the buyer is a paying, active member',
  );
  check(
    JSON.stringify(groupsNow(afterSale?.id ?? '')) === '["Premium Members"]',
    'the buyer is in Premium Members',
  );
  check(typeof link.url === 'string' && link.url.startsWith('https://'), 'a login link to send');

  step(n + 1, 'A cancellation (subscription ended)', `${email} cancels; the Zap runs twice`);
  for (const time of [1, 2]) {
    const remove = { access_group_id: premium, member: email };
    const removed = await run('create', 'remove_member_from_access_group', remove);
    show('create remove_member_from_access_group', remove, removed, ['removed', 'reason']);
    const update = { member: email, paid: 'false' };
    const updated = await run('create', 'update_member', update);
    show('create update_member', update, updated, ['email', 'paid']);
    const block = { member: email };
    const blocked = await run('create', 'block_member', block);
    show('create block_member', block, blocked, ['status', 'changed']);
    check(
      removed.removed === (time === 1) && blocked.changed === (time === 1),
      time === 1 ? 'access taken away' : 'the replay succeeds with nothing left to change',
    );
  }
  // A mapping mistake Zap builders make: the buyer's name where an email or ID belongs.
  log("    and a mapping mistake: the buyer's name in Member, where an email or member ID belongs");
  const bad = { access_group_id: premium, member: 'Stripe Buyer' };
  const refused = await invoke([
    'create',
    'add_member_to_access_group',
    '--non-interactive',
    '-i',
    JSON.stringify(bad),
  ]);
  // The CLI prints the step's error as JSON, wrapped over lines that start with " ›".
  const text = refused.stderr.replace(/\n\s*›\s*/g, '').replace(/^\s*›\s*/, '');
  const error = /\{"message":.*?"status":\d+\}/.exec(text)?.[0];
  const said = error ? (JSON.parse(error) as { message: string }).message : text.trim();
  log(`    create add_member_to_access_group ${JSON.stringify(bad)}\n      → ${said}`);
  check(
    refused.code !== 0 && said.startsWith("Member must be a member's email or Sotion member ID"),
    'a name where an email belongs is refused, naming the field',
  );
  const afterCancel = memberNow();
  check(
    afterCancel?.paid === false &&
      afterCancel.status === 'blocked' &&
      groupsNow(afterCancel.id).length === 0,
    'the member is unpaid, blocked and in no group',
  );
};

/**
 * The new steps as users build them: a plan change and a cancellation (Set Member's Access
 * Groups, each run twice as Zapier replays), a nightly sync with a dry run first, and a CSV
 * import whose file the sandbox serves.
 */
export const demoNewFlows = async (
  site: SiteData,
  origin: string,
  invoke: Cli,
  part: Part,
  n: number,
) => {
  const { step, check } = part;
  const { run, show } = runner(invoke, part.log);
  const groupNamed = (name: string) => {
    const found = site.groups.find((g) => g.name === name);
    if (found) return found.id;
    const group = makeGroup(name, 'custom');
    site.groups.push(group);
    return group.id;
  };
  const memberOf = (email: string) => site.members.find((m) => m.email === email);
  const groupNames = (email: string) => {
    const id = memberOf(email)?.id ?? '';
    return Object.entries(site.memberships)
      .filter(([, ids]) => ids.includes(id))
      .map(([groupId]) => site.groups.find((g) => g.id === groupId)?.name)
      .sort();
  };
  const inGroup = (groupId: string) =>
    (site.memberships[groupId] ?? [])
      .map((id) => site.members.find((m) => m.id === id)?.email)
      .sort();
  const seed = (email: string, groupIds: string[], extra: { paid?: boolean } = {}) => {
    const m = makeMember(email, extra);
    site.members.push(m);
    for (const g of groupIds) (site.memberships[g] ??= []).push(m.id);
    return m;
  };

  // A plan change: Silver to Gold, run twice; then a cancellation, run twice.
  const silver = groupNamed('Silver Plan');
  const gold = groupNamed('Gold Plan');
  const premium = groupNamed('Premium Members');
  const subscriber = 'plan.changer@example.org';
  seed(subscriber, [silver, premium], { paid: true });
  step(
    n,
    "A plan change (Set Member's Access Groups)",
    `${subscriber} (in Silver Plan and Premium Members) moves to Gold; the Zap runs twice`,
  );
  const planKeys = ['changed', 'addedNames', 'removedNames', 'keptNames', 'paidChanged'];
  const upgrade = {
    member: subscriber,
    access_group_ids: [gold],
    managed_access_group_ids: [silver, gold],
  };
  for (const time of [1, 2]) {
    const out = await run('create', 'set_member_access_groups', upgrade);
    show('create set_member_access_groups', upgrade, out, planKeys);
    check(
      JSON.stringify(groupNames(subscriber)) === '["Gold Plan","Premium Members"]',
      'in Gold Plan, out of Silver Plan; Premium Members (not managed) untouched',
    );
    check(
      time === 1
        ? out.changed === true &&
            JSON.stringify(out.addedNames) === '["Gold Plan"]' &&
            JSON.stringify(out.removedNames) === '["Silver Plan"]'
        : out.changed === false &&
            JSON.stringify(out.addedNames) === '[]' &&
            JSON.stringify(out.removedNames) === '[]',
      time === 1 ? 'reports Gold added, Silver removed' : 'the repeat reports no change',
    );
  }
  step(n + 1, 'A cancellation (Set Access Groups to none, Paid false)', `${subscriber} cancels`);
  const cancel = {
    member: subscriber,
    access_group_ids: [],
    managed_access_group_ids: [silver, gold],
    paid: 'false',
  };
  for (const time of [1, 2]) {
    const out = await run('create', 'set_member_access_groups', cancel);
    show('create set_member_access_groups', cancel, out, planKeys);
    check(
      JSON.stringify(groupNames(subscriber)) === '["Premium Members"]' &&
        memberOf(subscriber)?.paid === false,
      'out of every plan, unpaid; Premium Members (not managed) untouched',
    );
    check(
      time === 1
        ? out.changed === true &&
            JSON.stringify(out.removedNames) === '["Gold Plan"]' &&
            out.paidChanged === true
        : out.changed === false && out.paidChanged === false,
      time === 1 ? 'reports Gold removed and Paid changed' : 'the repeat reports no change',
    );
  }

  // A nightly sync: the group becomes the list; a dry run first.
  const nightly = groupNamed('Nightly Sync');
  const stays = Array.from({ length: 5 }, (_, i) => `stays${i}@example.org`);
  const leaves = Array.from({ length: 3 }, (_, i) => `leaves${i}@example.org`);
  const joins = Array.from({ length: 4 }, (_, i) => `joins${i}@example.org`);
  const fresh = Array.from({ length: 3 }, (_, i) => `fresh${i}@example.org`);
  for (const email of [...stays, ...leaves]) seed(email, [nightly]);
  for (const email of joins) seed(email, []);
  const list = [...stays, ...joins, ...fresh];
  const syncInput = { access_group_id: nightly, emails: [list.join('\n')] };
  step(
    n + 2,
    'A nightly sync (Sync Access Group Members), a dry run first',
    `a list of ${list.length} into "Nightly Sync" (${stays.length} in it, ${joins.length} members not in it, ` +
      `${fresh.length} not members; ${leaves.length} in it but not on the list)`,
  );
  const syncKeys = [
    'dryRun',
    'unchangedCount',
    'addedCount',
    'createdCount',
    'removedCount',
    'failedCount',
    'removedEmails',
  ];
  const before = JSON.stringify({ group: inGroup(nightly), members: site.members.length });
  const dryInput = { ...syncInput, dry_run: 'true' };
  const dry = await run('create', 'sync_access_group_members', dryInput);
  show('create sync_access_group_members', { ...dryInput, emails: '(the list)' }, dry, syncKeys);
  check(
    JSON.stringify({ group: inGroup(nightly), members: site.members.length }) === before,
    'the dry run changed nothing in the sandbox',
  );
  const expected = (out: Item, adds: number, creates: number, removes: number) =>
    out.addedCount === adds &&
    out.createdCount === creates &&
    out.removedCount === removes &&
    out.failedCount === 0;
  check(
    dry.dryRun === true && expected(dry, joins.length, fresh.length, leaves.length),
    `the dry run reports ${joins.length} to add, ${fresh.length} to create, ${leaves.length} to remove`,
  );
  for (const time of [1, 2]) {
    const out = await run('create', 'sync_access_group_members', syncInput);
    show('create sync_access_group_members', { ...syncInput, emails: '(the list)' }, out, syncKeys);
    check(
      JSON.stringify(inGroup(nightly)) === JSON.stringify([...list].sort()),
      'the group holds exactly the list',
    );
    check(
      leaves.every((email) => memberOf(email)) && fresh.every((email) => memberOf(email)),
      'the removed stay members of the site; the new ones exist',
    );
    check(
      time === 1
        ? expected(out, joins.length, fresh.length, leaves.length)
        : expected(out, 0, 0, 0) && out.unchangedCount === list.length,
      time === 1 ? 'what the dry run said, done' : 'the repeat finds nothing to do',
    );
  }

  // A CSV import: the file the sandbox serves.
  const csv =
    '\uFEFFEmail;Display Name;Paid\r\n' +
    'ada@example.org;"Lovelace, Ada";yes\r\n' +
    'grace@example.org;Grace Hopper;no\r\n' +
    'not-an-email;Nobody;yes\r\n' +
    'alan@example.org;;\r\n';
  const put = await fetch(`${origin}/__sandbox/files?name=members.csv`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  const csvUrl = ((await put.json()) as { url: string }).url;
  const cohort = groupNamed('CSV Cohort');
  const csvInput = { csv_file: csvUrl, access_group_ids: [cohort] };
  step(
    n + 3,
    'A CSV import (Bulk Add Members from a CSV File)',
    `${csvUrl}: a BOM, semicolons, a quoted name with a comma, one bad row`,
  );
  const imported = await run('create', 'bulk_add_members', csvInput);
  show('create bulk_add_members', csvInput, imported, [
    'total',
    'createdCount',
    'invalidCount',
    'failedCount',
    'invalidEmails',
  ]);
  check(
    imported.createdCount === 3 &&
      imported.invalidCount === 1 &&
      JSON.stringify(imported.invalidEmails) === '["not-an-email"]',
    '3 created, the bad row reported',
  );
  check(
    JSON.stringify(inGroup(cohort)) ===
      '["ada@example.org","alan@example.org","grace@example.org"]',
    'the three are in "CSV Cohort"',
  );
  check(
    memberOf('ada@example.org')?.displayName === 'Lovelace, Ada' &&
      memberOf('ada@example.org')?.paid === true &&
      memberOf('grace@example.org')?.paid === false,
    'the quoted name with its comma and Paid as the file says',
  );
  check(!memberOf('not-an-email'), 'the bad row never reached the sandbox');
};
