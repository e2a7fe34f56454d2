/**
 * `npm run docs`: renders the operations tables from the app and its operation modules, each
 * between `<!-- ops:start -->` and `<!-- ops:end -->`: README's (Kind, Label, Description) and
 * docs/operations.md's (Kind, Label, Key, Requests, What it cannot do). test/docs.test.ts fails
 * when either file differs from what this renders, so neither can drift from the code.
 *
 * Nothing here names an operation. An operation's file exports `requests` (and, where worth
 * saying, `cannot`) beside its definition, and its folder's index.ts lists the module
 * (src/zap/operations.ts); a registered operation without `requests` is an error here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import App from '../index';
import { createModules } from '../creates';
import { searchModules, searchOrCreateModules } from '../searches';
import { requests as authenticationRequests } from '../src/zap/authentication';
import type { OperationModule } from '../src/zap/operations';
import { triggerModules } from '../triggers';

export const START = '<!-- ops:start -->';
export const END = '<!-- ops:end -->';

interface Op {
  key: string;
  display: { label: string; description: string; hidden?: boolean };
  operation?: { type?: string };
}

export interface Row {
  kind: string;
  key: string;
  label: string;
  description: string;
  requests: string;
  cannot: string;
}

/** Every registered operation module: what the docs say of each, beside its definition. */
export const MODULES: readonly OperationModule[] = [
  ...triggerModules,
  ...createModules,
  ...searchModules,
  ...searchOrCreateModules,
];

/** What the module of `op` says of it; an error when it says nothing of its requests. */
const docsOf = (op: Op, modules: readonly OperationModule[]) => {
  const found = modules.find((module) => module.default === op);
  if (!found?.requests) {
    throw new Error(
      `${op.key} has no request count: export \`requests\` from its file and list the module ` +
        "in its folder's index.ts.",
    );
  }
  return { requests: found.requests, cannot: found.cannot ?? '' };
};

/** Every operation of the app, in README order: authentication, triggers, creates, searches. */
export const rows = (app: typeof App = App, modules = MODULES): Row[] => {
  const ops = (group: unknown) => Object.values((group ?? {}) as Record<string, Op>);
  const out: Row[] = [
    {
      kind: 'Authentication',
      key: app.authentication?.type ?? '',
      label: 'API Key',
      description: 'One `so_…` key per site, sent as `Authorization: Bearer`.',
      requests: authenticationRequests,
      cannot: '',
    },
  ];
  const add = (kind: (op: Op) => string, group: unknown) => {
    for (const op of ops(group)) {
      out.push({
        kind: kind(op),
        key: `\`${op.key}\``,
        label: op.display.label,
        description: op.display.description,
        ...docsOf(op, modules),
      });
    }
  };
  add((op) => `Trigger (${op.display.hidden ? 'hidden' : op.operation?.type})`, app.triggers);
  add(() => 'Create', app.creates);
  add(() => 'Search', app.searches);
  add(() => 'Find or Create', app.searchOrCreates);
  return out;
};

const width = (text: string) => [...text].length;
const pad = (text: string, size: number) => text + ' '.repeat(size - width(text));
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** A table as Prettier formats Markdown: columns padded to their widest cell. */
export const renderTable = (header: string[], body: string[][]): string => {
  const lines = [header, ...body.map((line) => line.map(cell))];
  const sizes = header.map((_, i) => Math.max(3, ...lines.map((line) => width(line[i] ?? ''))));
  const format = (line: string[]) =>
    `| ${line.map((text, i) => pad(text, sizes[i] ?? 3)).join(' | ')} |`;
  return [
    format(header),
    `| ${sizes.map((size) => '-'.repeat(size)).join(' | ')} |`,
    ...lines.slice(1).map(format),
  ].join('\n');
};

/** README's table: what each operation is. */
export const readmeTable = (list: Row[] = rows()): string =>
  renderTable(
    ['Kind', 'Label', 'Description'],
    list.map((r) => [r.kind, r.label, r.description]),
  );

/** docs/operations.md's table: keys, the requests of a run, and what it cannot do. */
export const operationsTable = (list: Row[] = rows()): string =>
  renderTable(
    ['Kind', 'Label', 'Key', 'Requests', 'What it cannot do'],
    list.map((r) => [r.kind, r.label, r.key, r.requests, r.cannot]),
  );

/** `text` with the table between the markers replaced by `table`. */
export const withTable = (text: string, table: string, file = 'README.md'): string => {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file} needs ${START} … ${END} markers`);
  return `${text.slice(0, start + START.length)}\n\n${table}\n\n${text.slice(end)}`;
};

/** The files `npm run docs` writes, and the table each holds. */
export const TABLES: ReadonlyArray<{ file: string; table: () => string }> = [
  { file: 'README.md', table: () => readmeTable() },
  { file: 'docs/operations.md', table: () => operationsTable() },
];

/* istanbul ignore next: the command line */
if (require.main === module) {
  for (const { file, table } of TABLES) {
    const path = join(__dirname, '..', '..', file);
    const before = readFileSync(path, 'utf8');
    const after = withTable(before, table(), file);
    writeFileSync(path, after);
    console.log(before === after ? `${file} is up to date.` : `${file} operations table updated.`);
  }
}
