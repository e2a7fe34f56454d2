import { endpoint } from '../http/endpoint';
import { Empty, GroupMemberItem, list, Member, single } from './schemas';

export const SCOPE_GROUP_MEMBERS_READ_ONLY =
  'Access group {groupId} is a scope group (managed from a Notion collection), and scope groups ' +
  'are read-only via the API: members cannot be added or removed. Choose a custom access group ' +
  'instead.';

/** The members of one access group (reference §2.3). */
export const groupMembers = {
  list: endpoint('GET /access-groups/{groupId}/members', list(GroupMemberItem), {
    what: 'members of access group {groupId}',
  }),
  /** 409: already in the group. Every caller takes that as success, so a resend is safe. */
  add: endpoint('POST /access-groups/{groupId}/members', single(Member), {
    verb: 'adding',
    what: 'member {memberId} to access group {groupId}',
    expect: [409],
    replay: 'safe',
    forbidden: SCOPE_GROUP_MEMBERS_READ_ONLY,
    notFound: 'access group {groupId}, or member {memberId}',
    notFoundWhich: { group: 'access group {groupId}', member: 'member {memberId}' },
  }),
  /** 404: not in the group (or no such member): the membership is already gone. */
  remove: endpoint('DELETE /access-groups/{groupId}/members/{memberId}', Empty, {
    verb: 'removing',
    what: 'member {memberId} from access group {groupId}',
    expect: [404],
    forbidden: SCOPE_GROUP_MEMBERS_READ_ONLY,
  }),
};
