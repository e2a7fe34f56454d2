import type { ZObject } from 'zapier-platform-core';
import { MEMORY_TTL_SECONDS, StepMemory } from '../../src/bulk/memory';

/** A z whose cache records every call and answers `get` with `stored`. */
const fakeZ = (stored: unknown = null) => {
  const calls: Array<{ op: 'get' | 'set'; args: unknown[] }> = [];
  const z = {
    cache: {
      get: async (...args: unknown[]) => {
        calls.push({ op: 'get', args });
        return stored;
      },
      set: async (...args: unknown[]) => {
        calls.push({ op: 'set', args });
        return true;
      },
    },
  } as unknown as ZObject;
  return { z, calls };
};

/** What `save` stored: the digest → value record. */
const savedRecord = (calls: Array<{ op: string; args: unknown[] }>) =>
  calls.find((c) => c.op === 'set')?.args[1] as Record<string, string>;

describe('bulk step memory', () => {
  it('reads and writes z.cache scoped to the connection, for an hour, without the addresses', async () => {
    const { z, calls } = fakeZ();
    const memory = new StepMemory(z, { emails: ['ada@x.io'] });
    await memory.load();
    await memory.save(
      [{ email: 'ada@x.io', memberId: 'm1' }],
      [{ email: 'bo@x.io', memberId: 'm2' }],
    );
    const [get, set] = calls;
    expect(get?.args[1]).toEqual(['auth']);
    expect(set?.args[0]).toBe(get?.args[0]);
    expect(set?.args.slice(2)).toEqual([MEMORY_TTL_SECONDS, ['auth']]);
    const record = savedRecord(calls);
    expect(Object.values(record).sort()).toEqual(['m1', '~m2']);
    for (const key of Object.keys(record)) {
      expect(key).toHaveLength(16);
      expect(key).not.toContain('@');
    }
  });

  it('tells confirmed members from existing ones found but not finished', async () => {
    const first = fakeZ();
    const writer = new StepMemory(first.z, {});
    await writer.save(
      [{ email: 'ada@x.io', memberId: 'm1' }],
      [{ email: 'bo@x.io', memberId: 'm2' }],
    );
    const { z } = fakeZ(savedRecord(first.calls));
    const memory = new StepMemory(z, {});
    await memory.load();
    expect(memory.confirmed('ada@x.io')).toBe('m1');
    expect(memory.existingId('ada@x.io')).toBeUndefined();
    expect(memory.confirmed('bo@x.io')).toBeUndefined();
    expect(memory.existingId('bo@x.io')).toBe('m2');
    expect(memory.confirmed('cy@x.io')).toBeUndefined();
    expect(memory.existingId('cy@x.io')).toBeUndefined();
  });

  it('ignores what is not a string in the cache, and keeps group cursors until a list ends', async () => {
    const first = fakeZ();
    await new StepMemory(first.z, {}).save([{ email: 'ada@x.io', memberId: 'm1' }]);
    const [key] = Object.keys(savedRecord(first.calls));
    const { z } = fakeZ({ [key as string]: 5, '#g1': 'c1' });
    const memory = new StepMemory(z, {});
    await memory.load();
    expect(memory.confirmed('ada@x.io')).toBeUndefined();
    expect(memory.cursor('g1')).toBe('c1');
    memory.setCursor('g2', 'c2');
    expect(memory.cursor('g2')).toBe('c2');
    memory.setCursor('g1', null);
    expect(memory.cursor('g1')).toBeUndefined();
  });
});
