import { byKey } from '../../src/zap/operations';

describe('byKey', () => {
  const op = (key: string) => ({ default: { key, n: key.length }, requests: '1' });

  it('maps each module to its definition by key, in the order given', () => {
    const a = op('a');
    const bc = op('bc');
    const found = byKey([bc, a]);
    expect(Object.keys(found)).toEqual(['bc', 'a']);
    expect(found.a).toBe(a.default);
    expect(found.bc).toBe(bc.default);
  });

  it('refuses two operations with one key', () => {
    expect(() => byKey([op('a'), op('b'), op('a')])).toThrow('Two operations have the key a.');
  });
});
