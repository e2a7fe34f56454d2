import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileApp, validateApp } from 'zapier-platform-core/src/tools/schema';
import App from '../index';
import { DEFAULT_BASE_URL, isLoopbackHost, resolveBaseUrl, runBudgetMs } from '../src/http/config';
import { emailProblem, normalizeEmail, splitEmails } from '../src/api/emails';
import { member } from '../src/zap/fields';
import { isUuid } from '../src/zap/input';
import type { OperationModule } from '../src/zap/operations';

type Field = {
  key: string;
  label?: string;
  type?: string;
  required?: boolean;
  list?: boolean;
  helpText?: string;
};
type Operation = {
  key: string;
  noun: string;
  display: { label: string; description: string; hidden?: boolean };
  operation: { sample?: Record<string, unknown>; outputFields?: Field[]; inputFields?: unknown[] };
};

const operations = (): Array<[string, Operation]> =>
  [App.triggers, App.creates, App.searches].flatMap((group) =>
    Object.values((group ?? {}) as Record<string, Operation>).map(
      (op) => [op.key, op] as [string, Operation],
    ),
  );
const visible = () => operations().filter(([, op]) => !op.display.hidden);

const SMALL = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'but',
  'by',
  'for',
  'in',
  'of',
  'on',
  'or',
  'the',
  'to',
  'is',
]);
const isTitleCase = (label: string) =>
  label.split(' ').every((word, i) => (SMALL.has(word) && i > 0 ? true : /^[A-Z0-9(]/.test(word)));

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const typeOk = (type: string | undefined, value: unknown): boolean => {
  if (value === null) return true;
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return typeof value === 'string' && ISO.test(value);
    default:
      return typeof value === 'string';
  }
};

/** About 200 characters: a help text is a sentence or two and an example. */
const HELP_MAX = 200;

type Choice = { value: string; label: string };

/** Every help text and description of the app, with where it is. */
const texts = (): Array<[string, string]> => [
  ...operations().flatMap(([key, op]) => [
    [`${key} description`, op.display.description] as [string, string],
    ...((op.operation.inputFields ?? []) as Array<Field & { children?: Field[] }>)
      .flatMap((f) => [f, ...(f.children ?? [])])
      .filter((f) => f.helpText)
      .map((f) => [`${key}.${f.key}`, f.helpText ?? ''] as [string, string]),
  ]),
  ...Object.entries(App.searchOrCreates ?? {}).map(
    ([key, entry]) => [`find-or-create ${key}`, entry.display.description] as [string, string],
  ),
];

/** The choices whose raw value differs from the label the editor shows. */
const rawChoices = (): Choice[] =>
  operations().flatMap(([, op]) =>
    ((op.operation.inputFields ?? []) as Array<Field & { choices?: unknown }>).flatMap((f) =>
      Array.isArray(f.choices)
        ? (f.choices as Choice[]).filter((c) => c.value.toLowerCase() !== c.label.toLowerCase())
        : [],
    ),
  );

describe('app definition', () => {
  it('Create Member says the update is a choice, and sale flows are pointed from Find or Create to it', () => {
    const create = App.creates.create_member as unknown as Operation;
    const ifExists = (create.operation.inputFields as Array<Field & { choices?: Choice[] }>).find(
      (f) => f.key === 'if_email_exists',
    );
    // By default a taken email stops the step: the description must not say it updates.
    expect(ifExists).toMatchObject({ default: 'error' });
    expect(create.display.description).toBe(
      'Creates a member, optionally returning or updating one with that email.',
    );
    const update = ifExists?.choices?.find((c) => c.value === 'update')?.label;
    expect(update).toBe('Update the existing member');
    const findOrCreate = (App.searchOrCreates ?? {}).find_member as unknown as Operation;
    expect(findOrCreate.display.description).toContain(`use Create Member with "${update}"`);
    const email = (
      (App.searches.find_member as unknown as Operation).operation.inputFields as Field[]
    ).find((f) => f.key === 'email');
    expect(email?.helpText).toContain(`Create Member with **${update}**`);
  });

  it('output labels are distinct: one label per key everywhere, no count read as a list', () => {
    const labels = new Map<string, Set<string>>();
    for (const [key, op] of operations()) {
      const fields = op.operation.outputFields ?? [];
      const own = fields.map((f) => f.label?.toLowerCase());
      expect([key, own.length]).toEqual([key, new Set(own).size]);
      const lists = new Set(
        fields.filter((f) => f.list).map((f) => f.label?.replace(/ List$/, '').toLowerCase()),
      );
      for (const field of fields) {
        if (field.type === 'integer') {
          expect([key, field.label, lists.has(field.label?.toLowerCase())]).toEqual([
            key,
            field.label,
            false,
          ]);
        }
        // An object's own `id` is named by its object (Member ID, Event ID …).
        if (field.key !== 'id') {
          const seen = labels.get(field.key) ?? new Set<string>();
          labels.set(field.key, seen.add(field.label ?? ''));
        }
      }
    }
    const several = [...labels].filter(([, seen]) => seen.size > 1);
    expect(several.map(([k, seen]) => `${k}: ${[...seen].join(' | ')}`)).toEqual([]);
  });

  it('help texts and descriptions name choices by their labels, never their raw values', () => {
    const raw = [...new Set(rawChoices().map((c) => c.value))];
    expect(raw.length).toBeGreaterThan(5);
    const quotedRaw = texts().flatMap(([where, text]) =>
      raw
        .filter((value) => ['`', '"', '**'].some((q) => text.includes(`${q}${value}${q}`)))
        .map((value) => `${where}: ${value}`),
    );
    expect(quotedRaw).toEqual([]);
  });

  // Carried out by Zapier only (nothing local can exercise them): pinned here, validated above.
  it("declares Zapier's throttle on the login-link steps and one lock on the bulk steps", () => {
    const keyed = (key: string) =>
      (operations().find(([k]) => k === key)?.[1].operation ?? {}) as Record<string, unknown>;
    const declared = (name: 'throttle' | 'lock') =>
      operations()
        .filter(([, op]) => name in op.operation)
        .map(([key]) => key)
        .sort();
    // Sotion's documented 50 login links a minute per site: one configuration on both steps,
    // without `action` in its scope, so Zapier counts the two together per connection.
    const linkThrottle = { window: 60, limit: 50, scope: ['auth'] };
    expect(declared('throttle')).toEqual(['create_login_link', 'send_login_link']);
    expect(keyed('create_login_link').throttle).toEqual(linkThrottle);
    expect(keyed('send_login_link').throttle).toEqual(linkThrottle);
    const bulkLock = { key: 'sotion_bulk_members', scope: ['auth'], timeout: 180 };
    expect(declared('lock')).toEqual([
      'bulk_add_members',
      'bulk_remove_members_from_access_group',
      'sync_access_group_members',
    ]);
    for (const key of declared('lock')) expect(keyed(key).lock).toEqual(bulkLock);
  });

  it('passes the schema checks of `zapier-platform validate` (offline)', () => {
    expect(validateApp(compileApp(App)).map((e) => `${e.property}: ${e.message}`)).toEqual([]);
  });

  // The keys are the public contract that Zaps reference: docs/operations.md lists every one, and
  // test/docs.test.ts fails when it differs from the app, so a key cannot change unnoticed.
  it.each(['triggers', 'creates', 'searches'] as const)(
    'registers every operation file of %s/ under its key, which is its file name',
    async (folder) => {
      const names = readdirSync(join(__dirname, '..', folder))
        .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
        .map((file) => file.replace(/\.ts$/, ''));
      expect(names.length).toBeGreaterThan(1);
      expect(Object.keys(App[folder] ?? {}).sort()).toEqual(names.sort());
      for (const name of names) {
        const module = (await import(join(__dirname, '..', folder, name))) as OperationModule;
        const registered = (App[folder] as Record<string, unknown>)[name];
        expect([name, module.default.key, registered === module.default]).toEqual([
          name,
          name,
          true,
        ]);
      }
    },
  );

  it('registers one find-or-create per search that has one, and the middleware', () => {
    expect(Object.keys(App.searchOrCreates ?? {}).sort()).toEqual(
      Object.keys(App.searches ?? {})
        .filter((key) => key in (App.searchOrCreates ?? {}))
        .sort(),
    );
    expect(Object.keys(App.searchOrCreates ?? {}).length).toBeGreaterThan(0);
    expect(App.flags).toEqual({ cleanInputData: false, throwForThrottlingEarly: false });
    expect(App.beforeRequest).toHaveLength(1);
    expect(App.afterResponse).toHaveLength(1);
  });

  it.each(visible())(
    '%s: Title Case labels, a proper description, help text with an example',
    (_key, op) => {
      expect(isTitleCase(op.display.label)).toBe(true);
      expect(op.display.description.endsWith('.')).toBe(true);
      expect(op.display.description.length).toBeGreaterThan(20);
      const fields = (op.operation.inputFields ?? []) as Array<Field & { children?: Field[] }>;
      for (const field of fields.flatMap((f) => [f, ...(f.children ?? [])])) {
        expect([field.key, field.label && isTitleCase(field.label)]).toEqual([field.key, true]);
        if (!('children' in field)) {
          // An example, and short: the rest belongs in the docs.
          expect([field.key, field.helpText]).toEqual([
            field.key,
            expect.stringMatching(/\bexample\b/i),
          ]);
          expect([field.key, [...(field.helpText ?? '')].length <= HELP_MAX]).toEqual([
            field.key,
            true,
          ]);
        }
      }
      for (const field of op.operation.outputFields ?? []) {
        expect([field.key, field.label && isTitleCase(field.label)]).toEqual([field.key, true]);
      }
    },
  );

  // What `zapier-platform validate` does not check, but Zapier's publishing review does.
  it.each(operations())('%s: a singular noun', (_key, op) => {
    const last = op.noun.split(' ').at(-1) ?? '';
    expect([op.noun, /[^s]s$/.test(last)]).toEqual([op.noun, false]);
  });

  it.each(visible())(
    '%s: a short description (4 to 12 words) that does not name the app',
    (_key, op) => {
      const words = op.display.description.split(/\s+/).length;
      expect([op.display.description, words >= 4 && words <= 12]).toEqual([
        op.display.description,
        true,
      ]);
      expect(op.display.description).not.toMatch(/sotion/i);
    },
  );

  it.each(visible())('%s: has a sample and output fields', (_key, op) => {
    expect(op.operation.sample).toEqual(expect.any(Object));
    expect(op.operation.outputFields?.length).toBeGreaterThan(0);
  });

  it('every dropdown and search connector names an operation that exists', () => {
    const references = operations().flatMap(([key, op]) =>
      ((op.operation.inputFields ?? []) as Array<Field & { dynamic?: string; search?: string }>)
        .flatMap((field) => [
          field.dynamic && { key, field: field.key, kind: 'dynamic', ref: field.dynamic },
          field.search && { key, field: field.key, kind: 'search', ref: field.search },
        ])
        .filter((ref) => !!ref),
    );
    for (const { key, field, kind, ref } of references) {
      const [target, idField] = ref.split('.') as [string, string | undefined];
      const group = (kind === 'dynamic' ? App.triggers : App.searches) ?? {};
      expect([key, field, ref, target in group, !!idField]).toEqual([key, field, ref, true, true]);
    }
    // The member field is declared once and references the dropdown and search built here.
    expect(member({ key: 'm', label: 'M' }).field).toMatchObject({
      dynamic: 'member_choices.id.email',
      search: 'find_member.id',
    });
    expect('member_choices' in App.triggers && 'find_member' in (App.searches ?? {})).toBe(true);
  });

  it('every find-or-create pairs an existing search with an existing create, keyed by the search', () => {
    const entries = Object.entries(
      (App.searchOrCreates ?? {}) as Record<
        string,
        { key: string; search: string; create: string; display: Operation['display'] }
      >,
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const [key, entry] of entries) {
      expect([key, entry.key, entry.search]).toEqual([key, key, key]);
      expect([key, entry.search in (App.searches ?? {})]).toEqual([key, true]);
      expect([key, entry.create in (App.creates ?? {})]).toEqual([key, true]);
      expect(isTitleCase(entry.display.label)).toBe(true);
      expect(entry.display.label).toMatch(/^Find or Create /);
    }
  });

  it.each(visible().filter(([key]) => Object.keys(App.triggers).includes(key)))(
    '%s: trigger description starts "Triggers when "',
    (_key, op) => {
      expect(op.display.description).toMatch(/^Triggers when .+\.$/);
    },
  );

  it.each(visible())(
    '%s: the sample has exactly the output fields, with matching types',
    (_key, op) => {
      const sample = op.operation.sample ?? {};
      const fields = op.operation.outputFields ?? [];
      const topLevel = fields.filter((f) => !f.key.includes('[]'));
      expect(Object.keys(sample).sort()).toEqual(
        [
          ...topLevel.map((f) => f.key),
          ...new Set(
            fields.filter((f) => f.key.includes('[]')).map((f) => f.key.split('[]')[0] as string),
          ),
        ].sort(),
      );
      for (const field of topLevel) {
        const value = sample[field.key];
        if (field.required) expect([field.key, value]).not.toEqual([field.key, null]);
        if (field.list) {
          expect(Array.isArray(value)).toBe(true);
          for (const item of value as unknown[])
            expect([field.key, typeOk(field.type, item)]).toEqual([field.key, true]);
        } else expect([field.key, typeOk(field.type, value)]).toEqual([field.key, true]);
      }
      for (const field of fields.filter((f) => f.key.includes('[]'))) {
        const [parent, child] = field.key.split('[]') as [string, string];
        for (const row of sample[parent] as Array<Record<string, unknown>>) {
          expect([field.key, typeOk(field.type, row[child])]).toEqual([field.key, true]);
        }
      }
    },
  );
});

describe('configuration', () => {
  it('uses the documented base URL unless overridden', () => {
    expect(resolveBaseUrl({})).toBe(DEFAULT_BASE_URL);
    expect(resolveBaseUrl({ SOTION_API_BASE_URL: 'https://staging.example.com/api/v1/' })).toBe(
      'https://staging.example.com/api/v1',
    );
    expect(resolveBaseUrl({ SOTION_API_BASE_URL: 'http://127.0.0.1:4010/api/v1' })).toBe(
      'http://127.0.0.1:4010/api/v1',
    );
    expect(resolveBaseUrl({ SOTION_API_BASE_URL: 'http://localhost:4010/api/v1' })).toBe(
      'http://localhost:4010/api/v1',
    );
    expect(resolveBaseUrl({ SOTION_API_BASE_URL: 'http://[::1]:4010/api/v1' })).toBe(
      'http://[::1]:4010/api/v1',
    );
  });

  it('refuses plain http to another host and things that are not URLs', () => {
    expect(() => resolveBaseUrl({ SOTION_API_BASE_URL: 'http://api.example.com/api/v1' })).toThrow(
      'SOTION_API_BASE_URL is set to "http://api.example.com", which is neither https nor a loopback address.',
    );
    expect(() => resolveBaseUrl({ SOTION_API_BASE_URL: 'ftp://127.0.0.1/x' })).toThrow(
      /neither https nor a loopback/,
    );
    expect(() => resolveBaseUrl({ SOTION_API_BASE_URL: 'not a url' })).toThrow(
      /which is not a URL/,
    );
    expect(isLoopbackHost('127.10.0.3')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    // Only a whole 127.x.y.z address: not one inside a longer host name.
    expect(isLoopbackHost('10.127.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false);
    expect(resolveBaseUrl({ SOTION_API_BASE_URL: 'http://127.0.0.1:4010/api/v1//' })).toBe(
      'http://127.0.0.1:4010/api/v1',
    );
  });

  it('reads the run budget only from a positive number', () => {
    expect(runBudgetMs({})).toBe(25_000);
    expect(runBudgetMs({ SOTION_RUN_BUDGET_MS: '4000' })).toBe(4000);
    expect(runBudgetMs({ SOTION_RUN_BUDGET_MS: '-1' })).toBe(25_000);
    expect(runBudgetMs({ SOTION_RUN_BUDGET_MS: '0' })).toBe(25_000);
  });
});

describe('emails', () => {
  it('normalises and splits', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(splitEmails('a@x.io, b@x.io;c@x.io\n<d@x.io>\te@x.io')).toEqual([
      'a@x.io',
      'b@x.io',
      'c@x.io',
      'd@x.io',
      'e@x.io',
    ]);
  });

  it.each([
    ['ada@example.com', undefined],
    ["o'brien+tag@sub.example.co.uk", undefined],
    ['jürgen@müller.de', undefined],
    ['用户@例子.广告', undefined],
    ['', 'the email is empty'],
    ['plain', 'the email has no @'],
    ['a@b@c.com', 'the email has more than one @'],
    ['@example.com', 'nothing comes before the @'],
    ['ada@', 'nothing comes after the @'],
    ['ada@localhost', 'the domain "localhost" has no dot'],
    ['ada@-bad.com', 'the domain "-bad.com" is not a valid domain name'],
    ['ada@example.c', 'the domain "example.c" has no valid ending'],
    ['ada@1.2.3.4', 'the domain "1.2.3.4" has no valid ending'],
    ['.ada@example.com', 'the part before the @ has characters an email cannot have'],
    ['a..b@example.com', 'the part before the @ has characters an email cannot have'],
    ['a b@example.com', 'the part before the @ has characters an email cannot have'],
    [`${'a'.repeat(65)}@example.com`, 'the part before the @ is longer than 64 characters'],
    [`a@${'b'.repeat(250)}.com`, 'the email is longer than 254 characters'],
  ])('%j → %j', (email, problem) => {
    expect(emailProblem(email)).toBe(problem);
  });

  it('recognises UUIDs', () => {
    expect(isUuid('3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10')).toBe(true);
    expect(isUuid('3f0c1a52')).toBe(false);
  });
});
