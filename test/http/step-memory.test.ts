import { ConnectionCache, type ScopedCache } from '../../src/http/cache';
import { PROGRESS_TTL_SECONDS, StepMemory, type Held } from '../../src/http/step-memory';

const T0 = 1_800_000_000_000;
const KEY = 'sotion:step:v2:abc';

/** z.cache as a map, recording each call (scope left out: ConnectionCache always sends it). */
const setup = (stored?: unknown) => {
  const entries = new Map<string, unknown>(stored === undefined ? [] : [[KEY, stored]]);
  const calls: unknown[][] = [];
  const cache = {
    get: async (key: string) => {
      calls.push(['get', key]);
      return entries.get(key) ?? null;
    },
    set: async (key: string, value: unknown, ttl?: number) => {
      calls.push(['set', key, value, ttl]);
      entries.set(key, value);
      return true;
    },
    delete: async (key: string) => {
      calls.push(['delete', key]);
      return entries.delete(key);
    },
  } satisfies ScopedCache;
  const memory = new StepMemory(new ConnectionCache({ cache }), KEY, () => T0);
  return { memory, calls, entries };
};

const held = (at: number, lane = 'general'): Held => ({
  at,
  lane,
  toleranceMs: 500,
});

describe('StepMemory: load', () => {
  it('reads once per try: the turns kept (valid ones, earliest first) and the progress', async () => {
    const { memory, calls } = setup({
      ticket: [
        held(T0 + 3_000),
        // Each of these lacks one part of a turn, or has it of the wrong kind.
        { ...held(T0), at: 'soon' },
        { ...held(T0), lane: 1 },
        { ...held(T0), toleranceMs: undefined },
        held(T0 + 1_000),
        null,
      ],
      progress: { create_member: { created: 'm1' } },
    });
    await Promise.all([memory.load(), memory.load()]);
    await memory.load();
    expect(calls).toEqual([['get', KEY]]);
    expect(memory.ticket).toEqual([held(T0 + 1_000), held(T0 + 3_000)]);
    expect(memory.progress).toEqual({ create_member: { created: 'm1' } });
  });

  it('an entry that is not a record, or parts of the wrong kind, leave the memory empty', async () => {
    for (const stored of [['x'], 'text', { ticket: 'x', progress: ['y'] }]) {
      const { memory } = setup(stored);
      await memory.load();
      expect(memory.ticket).toEqual([]);
      expect(memory.progress).toEqual({});
    }
  });
});

describe('StepMemory: keep', () => {
  it('writes the turns held and the progress in one entry, for as long as the longer needs', async () => {
    const { memory, calls } = setup();
    memory.progress.create_member = { created: 'm1' };
    await memory.keep([held(T0 + 10_000)]);
    expect(memory.kept).toBe(true);
    expect(calls).toEqual([
      [
        'set',
        KEY,
        { ticket: [held(T0 + 10_000)], progress: { create_member: { created: 'm1' } } },
        PROGRESS_TTL_SECONDS,
      ],
    ]);
  });

  it('a ticket alone lives until its last turn plus two minutes', async () => {
    const { memory, calls } = setup();
    await memory.keep([held(T0 + 5_000), held(T0 + 40_500)]);
    expect(calls).toEqual([['set', KEY, { ticket: [held(T0 + 5_000), held(T0 + 40_500)] }, 161]]);
  });

  it('leaves out a step whose progress is empty, and writes nothing when nothing is left', async () => {
    const { memory, calls } = setup();
    memory.progress = { a: {}, b: { x: 1 }, c: 0 };
    await memory.keep([]);
    expect(calls).toEqual([['set', KEY, { progress: { b: { x: 1 }, c: 0 } }, 1_800]]);
    const empty = setup();
    empty.memory.progress = { a: {} };
    await empty.memory.keep([]);
    expect(empty.calls).toEqual([]);
    expect(empty.memory.kept).toBe(true);
  });
});

describe('StepMemory: forget', () => {
  it('deletes the entry once when progress was stored (read or written), never otherwise', async () => {
    const read = setup({ progress: { s: { x: 1 } } });
    await read.memory.load();
    await read.memory.forget();
    await read.memory.forget();
    expect(read.calls).toEqual([
      ['get', KEY],
      ['delete', KEY],
    ]);
    const written = setup();
    written.memory.progress.s = { x: 1 };
    await written.memory.keep([]);
    await written.memory.forget();
    expect(written.calls.map((c) => c[0])).toEqual(['set', 'delete']);
    // A ticket alone expires with its turns: nothing to delete.
    const ticketOnly = setup({ ticket: [held(T0 + 1_000)] });
    await ticketOnly.memory.load();
    await ticketOnly.memory.keep([held(T0 + 1_000)]);
    await ticketOnly.memory.forget();
    expect(ticketOnly.calls.map((c) => c[0])).toEqual(['get', 'set']);
  });
});
