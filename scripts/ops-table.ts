/**
 * `npm run docs`: renders README's operations table from the app definition, between
 * `<!-- ops:start -->` and `<!-- ops:end -->`. test/docs.test.ts fails when README differs from
 * what this renders, so the table cannot drift from the definition.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import App from '../index';

export const START = '<!-- ops:start -->';
export const END = '<!-- ops:end -->';

/**
 * Requests per path, by operation key (measured in the unit tests, which pin each request).
 * Every operation needs a line here: the docs test fails on one without.
 */
const SUBSCRIBE =
  'turning the Zap on: 1 page of `GET /webhooks?managedBy=zapier` per 100 + 1 `POST /webhooks` (+1 `DELETE` per stale subscription of the same Zap); off: 1';
const HOOK_PLAIN = `${SUBSCRIBE}; each event: 0`;
const HOOK = `${SUBSCRIBE}; each event: 0 (1 when the delivery lacks the member's email)`;
const HOOK_MEMBERSHIP = `${SUBSCRIBE}; each event: 0 (1 each for the member and the group when the delivery carries only ids)`;

export const REQUESTS: Record<string, string> = {
  member_created: HOOK,
  member_updated: HOOK,
  member_logged_in_or_out: HOOK,
  member_deleted: HOOK_PLAIN,
  access_group_created: HOOK_PLAIN,
  access_group_updated: HOOK_PLAIN,
  access_group_deleted: HOOK_PLAIN,
  member_added_to_access_group: HOOK_MEMBERSHIP,
  member_removed_from_access_group: HOOK_MEMBERSHIP,

  authentication:
    "connecting: 2 (`GET /site` in sessionConfig.perform to find the base, `GET /site` in the test); 3 when /api/v1 answers a 404 that is not Sotion's and /v1 is tried; each later connection test: 1; none in steps",
  new_access_group:
    '1 when Sotion lists groups newest first; otherwise every page (100 groups each) within the run',
  custom_access_group_choices: '1 a page (more while pages hold only scope groups)',
  new_member: '1 (Sotion lists members newest first)',
  member_choices: '1 a page',
  create_access_group:
    '1; a taken name with "Return the existing group": + the group list, a page per 100, until found',
  update_access_group: '1; a taken name: + the group list, a page per 100, until the holder',
  delete_access_group: '1',
  bulk_add_members:
    '1 per 500 members + 1 per group (check) + for each existing member a look-up and 1 per group (or the group lists, a page per 100); see below',
  bulk_remove_members_from_access_group:
    "1 (the group, once per step) + 1 `DELETE` per member in the group. Finding them: the group's member list, a page per 100 until every email is found, when it has no more pages than emails; then the site's list (a page per 100) or 1 look-up for each email not in the group. Otherwise 1 look-up (or the site's list) + 1 member read per email. 5 members of a 40-member group + 3 other emails: 8",
  create_member:
    'new: 1 (2 with "Send Login Link Email"); email taken: 1 with "Stop with an error", 3 with "Return the existing member", with "Update the existing member" 2 + 1 PATCH when a value differs + 1 per access group posted (+1 read when neither answered; 4 measured with changes and one new group)',
  update_member: 'by ID 1; by email 2',
  block_member: 'by ID 2 (1 when already blocked); by email 2',
  unblock_member: 'by ID 2 (1 when already active); by email 2',
  delete_member: 'by ID 1; by email 2',
  add_member_to_access_group:
    'by ID 1 (2 when already in the group); by email 2 (also when already in the group); with "Create the member in the group" for a new email 2',
  remove_member_from_access_group:
    'by ID 2; by email 3 (1 when no member has the email); an unknown member ID: an error after 1',
  set_member_access_groups:
    'by ID 1, by email 2; + 1 per group added or removed, + 1 when Paid differs, + the group list (a page per 100) when 2+ groups need checking first. Silver → Gold by ID: 3 (4 without group types); repeat: 1; "create": 2',
  sync_access_group_members:
    "1 (the group's check; not again within the hour) + the group's member pages (a page per 100) + 1 per 500 list emails not in the group (bulk create) + for existing members not in the group a look-up each (or the site's member list, a page per 100, when fewer) + 1 per add + 1 per removal; repeated with the same list: the group's pages only. Dry Run: the same reads, no write",
  export_members:
    'a page per 100 access groups + a page per 100 members (of the site or the group) + for each other custom group with members a page per 100 of them; over several runs when it does not fit in one',
  send_login_link: 'by ID 1; by email 2',
  create_login_link: 'by ID 1; by email 2',
  find_member:
    'by ID 1; by email or search text 2 (1 with Include Access Groups off, 1 when nothing is found)',
  find_access_group: 'a page per 100 groups until the exact name (every page when there is none)',
  'find-or-create:find_access_group': "the search's, + 1 when it creates the group",
  'find-or-create:find_member': "the search's, + the create's when nobody is found",
};

interface Op {
  key: string;
  display: { label: string; description: string; hidden?: boolean };
  operation?: { type?: string };
}

interface Row {
  kind: string;
  key: string;
  label: string;
  description: string;
  requests: string;
}

const requests = (key: string): string => {
  const text = REQUESTS[key];
  if (text === undefined) throw new Error(`scripts/ops-table.ts: REQUESTS has no line for ${key}`);
  return text;
};

/** Every operation of the app, in README order: authentication, triggers, creates, searches. */
export const rows = (app: typeof App = App): Row[] => {
  const ops = (group: unknown) => Object.values((group ?? {}) as Record<string, Op>);
  const out: Row[] = [
    {
      kind: 'Authentication',
      key: app.authentication?.type ?? '',
      label: 'API Key',
      description: 'One `so_…` key per site, sent as `Authorization: Bearer`.',
      requests: requests('authentication'),
    },
  ];
  const add = (kind: (op: Op) => string, group: unknown, prefix = '') => {
    for (const op of ops(group)) {
      out.push({
        kind: kind(op),
        key: `\`${op.key}\``,
        label: op.display.label,
        description: op.display.description,
        requests: requests(prefix + op.key),
      });
    }
  };
  add((op) => `Trigger (${op.display.hidden ? 'hidden' : op.operation?.type})`, app.triggers);
  add(() => 'Create', app.creates);
  add(() => 'Search', app.searches);
  add(() => 'Find or Create', app.searchOrCreates, 'find-or-create:');
  return out;
};

const HEADER = ['Kind', 'Key', 'Label', 'Description', 'Requests'];

const width = (text: string) => [...text].length;
const pad = (text: string, size: number) => text + ' '.repeat(size - width(text));
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The table as Prettier formats Markdown: columns padded to their widest cell. */
export const renderTable = (list: Row[] = rows()): string => {
  const lines = [
    HEADER,
    ...list.map((r) => [r.kind, r.key, r.label, r.description, r.requests].map(cell)),
  ];
  const sizes = HEADER.map((_, i) => Math.max(3, ...lines.map((line) => width(line[i] ?? ''))));
  const format = (line: string[]) =>
    `| ${line.map((text, i) => pad(text, sizes[i] ?? 3)).join(' | ')} |`;
  return [
    format(lines[0] ?? []),
    `| ${sizes.map((size) => '-'.repeat(size)).join(' | ')} |`,
    ...lines.slice(1).map(format),
  ].join('\n');
};

/** README with the table between the markers replaced by `table`. */
export const withTable = (readme: string, table: string = renderTable()): string => {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n\n${table}\n\n${readme.slice(end)}`;
};

/* istanbul ignore next: the command line */
if (require.main === module) {
  const path = join(__dirname, '..', '..', 'README.md');
  const before = readFileSync(path, 'utf8');
  const after = withTable(before);
  writeFileSync(path, after);
  console.log(
    before === after ? 'README.md is up to date.' : 'README.md operations table updated.',
  );
}
