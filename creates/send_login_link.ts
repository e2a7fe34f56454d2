import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { LOGIN_LINK_THROTTLE } from '../src/api/members';
import { SotionClient } from '../src/http/client';
import { fieldsOf, member, readInputs } from '../src/zap/fields';
import { requestLoginLink, requireMember } from '../src/zap/members';
import { sentLoginLinkOutputFields, sentLoginLinkSample } from '../src/zap/samples';

const fields = {
  member: member({
    key: 'member',
    label: 'Member',
    helpText:
      'The member to email a login link to: email or Sotion member ID. Each run sends another ' +
      'email, so replaying the step emails the member again. Sotion allows 5 links a minute per ' +
      'member and 50 per site. Example: `ada@example.com`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(fields.member));

export const perform = (async (z, bundle) => {
  const { member: ref } = readInputs(z, bundle.inputData, fields);
  const client = new SotionClient(z, bundle);
  const { id, email } = await requireMember(client, ref, 'Member');
  const link = await requestLoginLink(client, id, {
    sendEmail: true,
    ref,
    label: 'Member',
    lostAnswerHint:
      'Sotion may have emailed the link already; replaying the step emails the member again.',
  });
  return { memberId: link.memberId, email, status: link.status };
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'send_login_link',
  noun: 'Login Link',
  display: {
    label: 'Send Login Link',
    description: 'Emails a member a magic login link.',
  },
  operation: {
    inputFields,
    perform,
    // Sotion's documented 50 login links a minute per site, shared with the other login-link
    // step: Zapier holds runs past it and runs them later (it cannot be exercised locally).
    throttle: LOGIN_LINK_THROTTLE,
    sample: sentLoginLinkSample,
    outputFields: sentLoginLinkOutputFields,
  },
});
