import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import App from '../index';
import { END, MODULES, renderTable, rows, START, TABLES, withTable } from '../scripts/ops-table';
import { requests as authenticationRequests } from '../src/zap/authentication';
import { hookDocs } from '../src/zap/hooks';
import { SHAPES, type HookShape } from '../src/zap/hooks/shapes';
import type { OperationModule } from '../src/zap/operations';

const read = (file: string) => readFileSync(join(__dirname, '..', file), 'utf8');
const readme = read('README.md');

describe('the operations tables (README.md and docs/operations.md)', () => {
  it.each(TABLES.map((t) => [t.file, t.table] as const))(
    '%s: is what the app renders (run `npm run docs` after changing an operation)',
    (file, table) => {
      const text = read(file);
      expect(withTable(text, table(), file)).toBe(text);
    },
  );

  it("README's table is Kind, Label and Description; docs/operations.md has the rest, linked", () => {
    expect(readme).toContain('| Kind              | Label ');
    expect(readme).toContain('](docs/operations.md)');
    expect(read('docs/operations.md')).toMatch(
      /\| Kind +\| Label +\| Key +\| Requests +\| What it cannot do +\|/,
    );
  });

  it('has a row for every operation, hidden ones and find-or-create pairs included', () => {
    const keys = rows().map((row) => row.key.replace(/`/g, ''));
    expect(keys.sort()).toEqual(
      [
        'session',
        ...Object.keys(App.triggers ?? {}),
        ...Object.keys(App.creates ?? {}),
        ...Object.keys(App.searches ?? {}),
        ...Object.keys(App.searchOrCreates ?? {}),
      ].sort(),
    );
  });

  it('refuses an operation without a request count, and a README without markers', () => {
    const app = { ...App, creates: { ...App.creates, nope: { key: 'nope', display: {} } } };
    expect(() => rows(app as typeof App)).toThrow('nope has no request count');
    // Registered, but its file says nothing of its requests.
    const nope = { key: 'nope', display: { label: 'Nope', description: 'Nope.' } };
    const bare = { ...App, triggers: {}, creates: { nope }, searches: {}, searchOrCreates: {} };
    expect(() => rows(bare as unknown as typeof App, [{ default: nope, requests: '' }])).toThrow(
      'nope has no request count',
    );
    expect(() => withTable('# no markers', '')).toThrow(
      `README.md needs ${START} … ${END} markers`,
    );
    expect(authenticationRequests).toMatch(/^connecting: 2 /);
  });

  it('every registered operation module states its requests', () => {
    expect(MODULES.length).toBe(rows().length - 1);
    expect(MODULES.filter((module) => !module.requests).map((m) => m.default.key)).toEqual([]);
  });

  it('each instant trigger states the requests and limits of its own event shape', () => {
    type Hook = OperationModule & {
      default: { operation: { type?: string; outputFields?: unknown } };
    };
    const hooks = (MODULES as Hook[]).filter((m) => m.default.operation?.type === 'hook');
    expect(hooks.length).toBeGreaterThan(0);
    for (const module of hooks) {
      const shape = (Object.keys(SHAPES) as HookShape[]).find(
        (name) => SHAPES[name].outputFields === module.default.operation.outputFields,
      );
      expect([module.default.key, module.requests, module.cannot]).toEqual([
        module.default.key,
        hookDocs(shape ?? 'member').requests,
        hookDocs(shape ?? 'member').cannot,
      ]);
    }
  });

  it('pads columns as Prettier does and escapes pipes', () => {
    const table = renderTable(
      ['Kind', 'Key', 'Label', 'Description', 'Requests'],
      [['K', 'a|b', 'Lé', 'x', '1']],
    );
    expect(table).toBe(
      [
        '| Kind | Key  | Label | Description | Requests |',
        '| ---- | ---- | ----- | ----------- | -------- |',
        '| K    | a\\|b | Lé    | x           | 1        |',
      ].join('\n'),
    );
  });
});

describe("README's list of equivalent mutants", () => {
  it('is what the committed mutation baseline gives, and every stryker/equivalent.json entry still matches a survivor', () => {
    // Throws with the script's message (which file differs, which entry is stale) when it exits 1.
    const out = execFileSync(
      process.execPath,
      [join(__dirname, '..', 'stryker', 'survivors.mjs'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toMatch(/^survivors up to date: \d+ \(\d+ open\); score \d+\.\d\d%$/m);
  });
});
