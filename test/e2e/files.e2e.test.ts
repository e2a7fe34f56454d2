import { parse } from 'csv-parse/sync';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform as exportMembers } from '../../creates/export_members';
import { makeMember } from '../../sandbox/store';
import type { Sandbox } from '../../sandbox/server';
import { parseCsv, readCsvFile } from '../../src/files/csv-in';
import { EXPORT_HEADER, GROUP_SEPARATOR } from '../../src/files/member-export';
import { SotionClient } from '../../src/http/client';
import { RUN_BUDGET_ENV } from '../../src/http/config';
import { appTester, messageOf, rejection } from '../tester';
import { mockStash } from '../stash-rpc';
import { configure, demoSite, e2eBundle, groupByName, useSandbox } from './harness';

jest.setTimeout(120_000);

/** Puts a file on the sandbox's file route; returns its URL. */
const putFile = async (
  sandbox: Sandbox,
  name: string,
  body: Buffer | string,
  type = 'text/csv',
) => {
  const response = await fetch(
    `${sandbox.origin}/__sandbox/files?name=${encodeURIComponent(name)}`,
    {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    },
  );
  expect(response.status).toBe(201);
  return ((await response.json()) as { url: string }).url;
};

/** Reads a CSV File within a run, as a bulk step does (the client made first). */
const readFile = (url: string) =>
  appTester(
    async (z: ZObject, bundle: Bundle) => readCsvFile(new SotionClient(z, bundle), url),
    e2eBundle({ csv_file: url }),
  );

describe('CSV in against the sandbox', () => {
  const sandbox = useSandbox();

  it('downloads and parses an Excel-style file, and the download carries no API key', async () => {
    const url = await putFile(
      sandbox(),
      'members.csv',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(
          'E-Mail;Name;Paid\r\nada@example.com;"Lovelace; Ada";ja\r\ngrace@example.com;"Grace\r\nHopper";1\r\n',
        ),
      ]),
    );
    const read = await readFile(url);
    expect(read).toMatchObject({
      delimiter: ';',
      rows: 2,
      entries: [],
      problems: [
        {
          line: 2,
          source: 'CSV line 2',
          reason: 'its Paid value must be true or false (yes/no); it was "ja"',
        },
        {
          // A line break inside a display name is a control character (issue 17 §5).
          line: 3,
          source: 'CSV lines 3-4',
          reason:
            'its display name contains U+000D (carriage return) at character 6, an invisible character that can hide or reorder text',
        },
      ],
    });
    const downloads = sandbox().files.requests.filter((r) => r.method === 'GET');
    expect(downloads).toHaveLength(1);
    // The file lives on the API's own host and port, under another path: still no key.
    expect(downloads[0]?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(downloads[0]?.headers)).not.toMatch(/so_sandbox/);
  });

  it('stops a streamed file past 10 MB and refuses a declared one before reading', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 'a');
    const url = await putFile(sandbox(), 'big.csv', big);
    expect(messageOf(await rejection(readFile(url)))).toBe(
      'CSV File is 11 MB (11,534,336 bytes); a step reads at most 10 MB (10,485,760 bytes). Nothing was sent to Sotion. Split the file into smaller ones and run the step for each.',
    );
    expect(messageOf(await rejection(readFile(`${url}?chunked=1`)))).toMatch(
      /^CSV File is larger than that \(the download was stopped at [\d,]+ bytes\)/,
    );
    expect(
      messageOf(await rejection(readFile(`${sandbox().origin}/__sandbox/files/none.csv`))),
    ).toMatch(/its host answered HTTP 404; there is no file at that link/);
  });
});

describe('Export Members against the sandbox', () => {
  const sandbox = useSandbox();
  const MEMBERS = 250;

  beforeAll(() => {
    const site = demoSite(sandbox());
    const premium = groupByName(site, 'Premium Members');
    const beta = groupByName(site, 'Beta Testers');
    for (let i = 0; i < MEMBERS; i += 1) {
      const member = makeMember(`person${i}@example.org`, {
        displayName: i % 7 === 0 ? `Person, "${i}"` : null,
        paid: i % 2 === 0,
      });
      site.members.push(member);
      if (i % 3 === 0) (site.memberships[premium.id] ??= []).push(member.id);
      if (i % 5 === 0) (site.memberships[beta.id] ??= []).push(member.id);
    }
    site.members.push(makeMember('=sum(a1)@example.org'));
  });

  afterEach(() => {
    delete process.env[RUN_BUDGET_ENV];
  });

  /** The file as Zapier stored it (here: uploaded to the sandbox), parsed. */
  const fileRows = async (url: string) => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    return parse(Buffer.from(await response.arrayBuffer()), { bom: true }) as string[][];
  };

  /** What the file must say of every member of the site, from the sandbox's own state. */
  const expected = (onlyGroup?: string) => {
    const site = demoSite(sandbox());
    const custom = site.groups.filter((g) => g.type === 'custom');
    return site.members
      .filter((m) => !onlyGroup || (site.memberships[onlyGroup] ?? []).includes(m.id))
      .map((m) => [
        m.email.startsWith('=') ? `'${m.email}` : m.email,
        m.displayName ?? '',
        m.status,
        String(m.paid),
        String(m.verified),
        onlyGroup ? '' : (m.createdAt ?? ''),
        custom
          .filter((g) => (site.memberships[g.id] ?? []).includes(m.id))
          .map((g) => g.name)
          .sort((a, b) => a.localeCompare(b))
          .join(GROUP_SEPARATOR),
      ])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  };
  const byEmail = (rows: string[][]) =>
    [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

  it('exports every member in one run with page reads only, and the file reads back as a CSV File', async () => {
    sandbox().resetStats();
    mockStash({ uploadUrl: `${sandbox().origin}/__sandbox/files/`, keyPrefix: 'export' });
    const out = await appTester(exportMembers, e2eBundle({}));
    const total = demoSite(sandbox()).members.length;
    expect(out).toMatchObject({ rowCount: total, runs: 1, apiRequests: 6, accessGroupName: null });
    const rows = await fileRows(out.file);
    expect(rows[0]).toEqual([...EXPORT_HEADER]);
    expect(byEmail(rows.slice(1))).toEqual(expected());
    // 1 group page, ceil(254 / 100) member pages, 1 page each for the two custom groups with
    // members; the scope group is not read, and no member is read one by one.
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups': 1,
      'GET /members': 3,
      'GET /access-groups/:id/members': 2,
    });
    // The stored file goes back in as a CSV File: every member, with names and paid flags.
    const stored = sandbox().files.stored.get('export-1.csv');
    const back = await appTester(
      async (z: ZObject) => parseCsv(z, stored?.body ?? Buffer.alloc(0)),
      e2eBundle({}),
    );
    expect(back.entries).toHaveLength(total);
    expect(back.problems).toEqual([]);
    expect(back.columns).toEqual({ email: 'Email', name: 'Display Name', paid: 'Paid' });
    // The upload to Zapier's storage never carried the key.
    const upload = sandbox().files.requests.find((r) => r.method === 'POST');
    expect(upload?.headers.authorization).toBeUndefined();
  });

  it('exports one group over several runs, each handing back a ThrottledError until the file is done', async () => {
    const site = demoSite(sandbox());
    const premium = groupByName(site, 'Premium Members');
    // A slow API and a short run: only a few pages fit in each run.
    await configure(sandbox(), { faults: { latencyMs: 150 } });
    // 100 ms past the 6 s kept back: each run reads one 150 ms page, however fast the machine.
    process.env[RUN_BUDGET_ENV] = '6100';
    sandbox().resetStats();
    mockStash({ uploadUrl: `${sandbox().origin}/__sandbox/files/`, keyPrefix: 'group-export' });
    let out: Awaited<ReturnType<typeof exportMembers>> | undefined;
    let runs = 0;
    while (!out && runs < 20) {
      runs += 1;
      try {
        out = await appTester(exportMembers, e2eBundle({ access_group_id: premium.id }));
      } catch (error) {
        expect((error as Error).name).toBe('ThrottledError');
        expect(messageOf(error)).toMatch(
          /^Export Members has read \d+ members so far in \d+ runs? /,
        );
      }
    }
    await configure(sandbox(), { faults: { latencyMs: 0 } });
    expect(runs).toBeGreaterThan(1);
    expect(out).toMatchObject({
      rowCount: site.memberships[premium.id]?.length,
      runs,
      accessGroupId: premium.id,
      accessGroupName: 'Premium Members',
    });
    // Every page once: the runs went on from where the one before stopped.
    expect(out?.apiRequests).toBe(sandbox().stats.total);
    expect(sandbox().stats.byRoute['GET /members']).toBeUndefined();
    const rows = await fileRows(out?.file ?? '');
    expect(byEmail(rows.slice(1))).toEqual(expected(premium.id));
  });
});
