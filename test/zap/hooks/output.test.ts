import {
  groupFields,
  memberFields,
  pickText,
  prefixedGroupFields,
  stand,
  withEnvelope,
} from '../../../src/zap/hooks/output';

/** The output vocabulary every shape builds on (src/zap/hooks/output.ts). */

describe('output helpers', () => {
  it('pickText: the first key holding non-blank text', () => {
    expect(pickText({ a: ' ', b: 5, c: 'x', d: 'y' }, 'a', 'b', 'c', 'd')).toBe('x');
    expect(pickText({ a: '' }, 'a')).toBeUndefined();
  });

  it('withEnvelope: documented fields win over unknown ones, the envelope over both', () => {
    const envelope = { id: 'e1', type: 'member.updated', timestamp: null };
    expect(
      withEnvelope(envelope, { note: 'kept', email: 'extra', id: 'x' }, { email: 'a@b.io' }),
    ).toEqual({
      note: 'kept',
      email: 'a@b.io',
      id: 'e1',
      eventType: 'member.updated',
      occurredAt: null,
      detailsComplete: true,
      detailsMissingReason: null,
    });
  });

  it("memberFields: the member's id as memberId, groups as lists, missing fields null", () => {
    const fields = memberFields(
      { id: 'm1', email: 'a@b.io', accessGroups: [{ id: 'g1', name: 'G' }, { name: 'no id' }] },
      'm1',
    );
    expect(fields).toMatchObject({
      memberId: 'm1',
      email: 'a@b.io',
      status: null,
      accessGroupIds: ['g1'],
      accessGroupNames: ['G'],
    });
    expect('id' in fields).toBe(false);
    expect(memberFields({}, undefined)).toMatchObject({ memberId: null, accessGroupIds: [] });
  });

  it('groupFields and prefixedGroupFields: accessGroupId, then accessGroup + field name', () => {
    expect(groupFields({ id: 'g1', name: 'G' }, 'g1')).toEqual({
      accessGroupId: 'g1',
      name: 'G',
      description: null,
      type: null,
      memberCount: null,
      createdAt: null,
      updatedAt: null,
    });
    expect(prefixedGroupFields({ name: 'G', memberCount: 2 }, undefined)).toEqual({
      accessGroupId: null,
      accessGroupName: 'G',
      accessGroupDescription: null,
      accessGroupType: null,
      accessGroupMemberCount: 2,
      accessGroupCreatedAt: null,
      accessGroupUpdatedAt: null,
    });
  });

  it("stand: an object's id and first time as a stand-in envelope", () => {
    expect(
      stand({ id: 7, updatedAt: null, createdAt: 't0' }, 'x', 'updatedAt', 'createdAt'),
    ).toEqual({ id: '7', type: 'x', timestamp: 't0' });
  });
});
