import type { ZObject } from 'zapier-platform-core';
import { MEMORY_TTL_SECONDS, BulkMemory } from '../../src/bulk/memory';

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
    const memory = new BulkMemory(z, 'bulk_add_members', { emails: ['ada@x.io'] });
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
    const writer = new BulkMemory(first.z, 'bulk_add_members', {});
    await writer.save(
      [{ email: 'ada@x.io', memberId: 'm1' }],
      [{ email: 'bo@x.io', memberId: 'm2' }],
    );
    const { z } = fakeZ(savedRecord(first.calls));
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    expect(memory.confirmed('ada@x.io')).toBe('m1');
    expect(memory.existing('ada@x.io')).toBeUndefined();
    expect(memory.confirmed('bo@x.io')).toBeUndefined();
    expect(memory.existing('bo@x.io')).toEqual({ memberId: 'm2' });
    expect(memory.confirmed('cy@x.io')).toBeUndefined();
    expect(memory.existing('cy@x.io')).toBeUndefined();
  });

  it('ignores what is not a string in the cache, and keeps list positions until told to start over', async () => {
    const first = fakeZ();
    await new BulkMemory(first.z, 'bulk_add_members', {}).save([
      { email: 'ada@x.io', memberId: 'm1' },
    ]);
    const [key] = Object.keys(savedRecord(first.calls));
    const { z } = fakeZ({ [key as string]: 5, '#g1': 'c1' });
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    expect(memory.confirmed('ada@x.io')).toBeUndefined();
    expect(memory.position('g1')).toEqual({ after: 'c1', pages: 0 });
    memory.setPosition('g2', { after: 'c2', pages: 3 });
    expect(memory.position('g2')).toEqual({ after: 'c2', pages: 3 });
    memory.setPosition('g1', undefined);
    expect(memory.position('g1')).toBeUndefined();
  });

  it('keeps what a run learnt of existing members: id or none, Paid and status, groups', async () => {
    const first = fakeZ();
    await new BulkMemory(first.z, 'bulk_add_members', {}).save(
      [],
      [
        { email: 'a@x.io' },
        { email: 'b@x.io', memberId: 'm2', paid: true, status: 'blocked', groups: ['g2', 'g1'] },
        { email: 'c@x.io', memberId: 'm3', paid: null, status: 'active' },
        { email: 'd@x.io', memberId: 'm4', paid: false, status: 'active', groups: ['g1'] },
        { email: 'e@x.io', memberId: 'm5', groups: ['g3'] },
      ],
    );
    const { z } = fakeZ(savedRecord(first.calls));
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    expect(memory.existing('a@x.io')).toEqual({});
    expect(memory.existing('b@x.io')).toEqual({
      memberId: 'm2',
      paid: true,
      status: 'blocked',
      groups: ['g2', 'g1'],
    });
    expect(memory.existing('c@x.io')).toEqual({ memberId: 'm3', paid: null, status: 'active' });
    expect(memory.existing('d@x.io')).toEqual({
      memberId: 'm4',
      paid: false,
      status: 'active',
      groups: ['g1'],
    });
    expect(memory.existing('e@x.io')).toEqual({ memberId: 'm5', groups: ['g3'] });
    // Groups are stored once; a member holds their indexes.
    const record = savedRecord(first.calls);
    expect(record['%groups']).toBe('g2,g1,g3');
    expect(Object.values(record)).toContain('~m2/yb/0,1');
  });

  it('keeps checked groups, lists read to the end, and the members created across runs', async () => {
    const first = fakeZ();
    const writer = new BulkMemory(first.z, 'bulk_add_members', {});
    writer.setCheckedGroup('g1', 250);
    writer.setCheckedGroup('g2', 0);
    writer.setPosition('members', { after: null, pages: 7 });
    await writer.save([], [], 3);
    await writer.save([], [], 2);
    await writer.save([], [], 0);
    const { z } = fakeZ(savedRecord(first.calls));
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    expect(memory.checkedGroup('g1')).toBe(250);
    expect(memory.checkedGroup('g2')).toBe(0);
    expect(memory.checkedGroup('g3')).toBeUndefined();
    expect(memory.position('members')).toEqual({ after: null, pages: 7 });
    expect(memory.created).toBe(5);
  });

  it('forgets an existing member, never a confirmed one', async () => {
    const first = fakeZ();
    await new BulkMemory(first.z, 'bulk_add_members', {}).save(
      [{ email: 'a@x.io', memberId: 'm1' }],
      [{ email: 'b@x.io', memberId: 'm2' }],
    );
    const { z, calls } = fakeZ(savedRecord(first.calls));
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    memory.forget('a@x.io');
    memory.forget('b@x.io');
    expect(memory.confirmed('a@x.io')).toBe('m1');
    expect(memory.existing('b@x.io')).toBeUndefined();
    await memory.save([]);
    expect(Object.values(savedRecord(calls))).toEqual(['m1']);
  });

  it('is keyed by the kind of step and its input: other kinds never share it', async () => {
    const { z, calls } = fakeZ();
    await new BulkMemory(z, 'bulk_add_members', { emails: ['a@x.io'] }).load();
    await new BulkMemory(z, 'bulk_remove_members', { emails: ['a@x.io'] }).load();
    await new BulkMemory(z, 'bulk_add_members', { emails: ['b@x.io'] }).load();
    await new BulkMemory(z, 'bulk_add_members', { emails: ['a@x.io'] }).load();
    const keys = calls.map((c) => c.args[0] as string);
    expect(keys[0]).toMatch(/^bulk_add_members:v1:[0-9a-f]{64}$/);
    expect(keys[1]).toMatch(/^bulk_remove_members:v1:/);
    expect(new Set(keys).size).toBe(3);
    expect(keys[3]).toBe(keys[0]);
  });

  it('a cache that fails is no memory: nothing is known, and saving does not throw', async () => {
    const z = {
      cache: {
        get: async () => {
          throw new Error('cache down');
        },
        set: async () => {
          throw new Error('cache down');
        },
      },
    } as unknown as ZObject;
    const memory = new BulkMemory(z, 'bulk_add_members', {});
    await memory.load();
    expect(memory.confirmed('a@x.io')).toBeUndefined();
    await expect(memory.save([{ email: 'a@x.io', memberId: 'm1' }])).resolves.toBeUndefined();
  });

  it("keeps a step's status beside the member id, and a sync's roster by id with its email", async () => {
    const first = fakeZ();
    const writer = new BulkMemory(first.z, 'sync_access_group_members', {});
    writer.setRoster({ memberId: 'm6', email: 'out@x.io', state: 'gone' });
    writer.setRoster({ memberId: 'm7', email: 'gone@x.io', state: 'removed' });
    writer.setRoster({ memberId: 'm8', email: 'stay@x.io', state: 'pending' });
    await writer.save([
      { email: 'a@x.io', memberId: 'm1', outcome: 'added' },
      { email: 'b@x.io', memberId: null, outcome: 'not_a_member' },
      { email: 'c@x.io', memberId: 'm3' },
    ]);
    expect(savedRecord(first.calls)).toMatchObject({
      '!m6': '0out@x.io',
      '!m7': '-gone@x.io',
      '!m8': '+stay@x.io',
    });
    const { z } = fakeZ(savedRecord(first.calls));
    const memory = new BulkMemory(z, 'sync_access_group_members', {});
    await memory.load();
    expect(['a@x.io', 'b@x.io', 'c@x.io'].map((e) => memory.confirmed(e))).toEqual([
      'm1',
      '',
      'm3',
    ]);
    expect(['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io'].map((e) => memory.outcome(e))).toEqual([
      'added',
      'not_a_member',
      undefined,
      undefined,
    ]);
    expect(memory.roster()).toEqual([
      { memberId: 'm6', email: 'out@x.io', state: 'gone' },
      { memberId: 'm7', email: 'gone@x.io', state: 'removed' },
      { memberId: 'm8', email: 'stay@x.io', state: 'pending' },
    ]);
  });

  it('once a step is done, forgets all but the groups it checked', async () => {
    const { z, calls } = fakeZ();
    const memory = new BulkMemory(z, 'sync_access_group_members', {});
    memory.setCheckedGroup('g1', 40);
    memory.setPosition('g1', { after: null, pages: 1 });
    memory.setRoster({ memberId: 'm7', email: 'gone@x.io', state: 'removed' });
    await memory.save([{ email: 'a@x.io', memberId: 'm1', outcome: 'added' }], [], 2);
    await memory.finished();
    expect(calls.filter((c) => c.op === 'set').at(-1)?.args[1]).toEqual({ '@g1': '40' });
    expect(memory.roster()).toEqual([]);
    expect(memory.confirmed('a@x.io')).toBeUndefined();
    expect(memory.created).toBe(0);
  });

  it('keeps an outcome beside a confirmed member id when the step gives one', async () => {
    const { z, calls } = fakeZ();
    const memory = new BulkMemory(z, 'bulk_remove_members_from_access_group', 'input');
    await memory.load();
    await memory.save([
      { email: 'ada@x.io', memberId: 'm1', outcome: 'removed' },
      { email: 'bo@x.io', memberId: null, outcome: 'not_a_member' },
      { email: 'cy@x.io', memberId: 'm3' },
    ]);
    expect(Object.values(savedRecord(calls)).sort()).toEqual(['=not_a_member', 'm1=removed', 'm3']);
    const { z: z2 } = fakeZ(savedRecord(calls));
    const again = new BulkMemory(z2, 'bulk_remove_members_from_access_group', 'input');
    await again.load();
    expect(
      ['ada@x.io', 'bo@x.io', 'cy@x.io'].map((e) => [again.confirmed(e), again.outcome(e)]),
    ).toEqual([
      ['m1', 'removed'],
      ['', 'not_a_member'],
      ['m3', undefined],
    ]);
  });
});
