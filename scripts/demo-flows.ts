/**
 * `npm start`, the flows part: a sale and a cancellation as users build them, each step through
 * `zapier-platform invoke`, with the sandbox's state checked after the flow. Find or Create Member
 * runs as Zapier runs it (invoke has no search-or-create locally): the search, then the create
 * when the search finds nobody.
 */
import type { SiteData } from '../sandbox/store';

type Check = (ok: boolean, text: string) => void;
type Invoke = (args: string[]) => Promise<{ code: number; json: unknown; stderr: string }>;
type Item = Record<string, unknown>;

const run = async (invoke: Invoke, kind: string, key: string, input: object): Promise<Item> => {
  const result = await invoke([kind, key, '--non-interactive', '-i', JSON.stringify(input)]);
  if (result.code !== 0) {
    console.log(`    ${key} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
    return {};
  }
  const json = result.json;
  return (Array.isArray(json) ? { found: json } : json) as Item;
};

const show = (key: string, input: object, out: Item, keys: string[]) =>
  console.log(
    `    ${key} ${JSON.stringify(input)}\n      → ${JSON.stringify(
      Object.fromEntries(keys.map((k) => [k, out[k]])),
    )}`,
  );

export const demoFlows = async (
  site: SiteData,
  invoke: Invoke,
  check: Check,
  step: (n: number, title: string, input: string) => void,
  n: number,
) => {
  const email = 'stripe.buyer@example.org';
  const premium = site.groups.find((g) => g.name === 'Premium Members')?.id ?? '';
  const memberNow = () => site.members.find((m) => m.email === email);
  const groupsNow = (id: string) =>
    Object.entries(site.memberships)
      .filter(([, ids]) => ids.includes(id))
      .map(([groupId]) => site.groups.find((g) => g.id === groupId)?.name);

  step(n, 'A sale (Stripe → Sotion)', `a new customer ${email} buys the premium plan`);
  const search = { email };
  const found = await run(invoke, 'search', 'find_member', search);
  show('search find_member', search, found, ['found']);
  const create = { email, display_name: 'Stripe Buyer', paid: 'true' };
  let buyer: Item = ((found.found as Item[] | undefined) ?? [])[0] ?? {};
  if (!buyer.id) {
    buyer = await run(invoke, 'create', 'create_member', create);
    show('create create_member', create, buyer, ['id', 'email', 'paid', 'alreadyExisted']);
  }
  const add = { access_group_id: premium, member: String(buyer.id) };
  const added = await run(invoke, 'create', 'add_member_to_access_group', add);
  show('create add_member_to_access_group', add, added, [
    'email',
    'accessGroupNames',
    'alreadyInGroup',
  ]);
  const linkInput = { member: email };
  const link = await run(invoke, 'create', 'create_login_link', linkInput);
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
    const removed = await run(invoke, 'create', 'remove_member_from_access_group', remove);
    show('create remove_member_from_access_group', remove, removed, ['removed', 'reason']);
    const update = { member: email, paid: 'false' };
    const updated = await run(invoke, 'create', 'update_member', update);
    show('create update_member', update, updated, ['email', 'paid']);
    const block = { member: email };
    const blocked = await run(invoke, 'create', 'block_member', block);
    show('create block_member', block, blocked, ['status', 'changed']);
    check(
      removed.removed === (time === 1) && blocked.changed === (time === 1),
      time === 1 ? 'access taken away' : 'the replay succeeds with nothing left to change',
    );
  }
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
  console.log(`    create add_member_to_access_group ${JSON.stringify(bad)}\n      → ${said}`);
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
