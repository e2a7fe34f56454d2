import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import App from '../index';
import { END, REQUESTS, renderTable, rows, START, withTable } from '../scripts/ops-table';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe("README's operations table", () => {
  it('is what the app definition renders (run `npm run docs` after changing an operation)', () => {
    expect(withTable(readme)).toBe(readme);
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

  it('refuses an operation without a requests line, and a README without markers', () => {
    const app = { ...App, creates: { ...App.creates, nope: { key: 'nope', display: {} } } };
    expect(() => rows(app as typeof App)).toThrow('REQUESTS has no line for nope');
    expect(() => withTable('# no markers')).toThrow(`README.md needs ${START} … ${END} markers`);
    expect(Object.keys(REQUESTS)).toContain('authentication');
  });

  it('pads columns as Prettier does and escapes pipes', () => {
    const table = renderTable([
      { kind: 'K', key: 'a|b', label: 'Lé', description: 'x', requests: '1' },
    ]);
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
