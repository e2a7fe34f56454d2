import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { LOGIN_LINK_THROTTLE } from '../src/api/members';
import { SotionClient } from '../src/http/client';
import { userError } from '../src/http/errors';
import { fieldsOf, member, readInputs } from '../src/zap/fields';
import { requestLoginLink, requireMember } from '../src/zap/members';
import { createdLoginLinkOutputFields, createdLoginLinkSample } from '../src/zap/samples';

const fields = {
  member: member({
    key: 'member',
    label: 'Member',
    helpText:
      'The member to make a login link for: email or Sotion member ID. Nothing is emailed: the ' +
      'link (valid 24 hours) is in the output for a step that sends its own message. It logs ' +
      'anyone in as this member, so send it only to the member. Each run makes a new link, ' +
      'replays included; Sotion allows 5 links a minute per member and 50 per site. Example: ' +
      '`ada@example.com`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(fields.member));

export const perform = (async (z, bundle) => {
  const { member: ref } = readInputs(z, bundle.inputData, fields);
  const client = new SotionClient(z, bundle);
  const { id, email } = await requireMember(client, ref, 'Member');
  const link = await requestLoginLink(client, id, {
    sendEmail: false,
    ref,
    label: 'Member',
    lostAnswerHint: 'Replaying the step makes a new link (an earlier one, if made, stays valid).',
  });
  if (!link.url) {
    throw userError(
      z,
      `Sotion answered without a login link URL for member ${id} (status "${link.status}"), ` +
        'so nothing can be passed on. It may have emailed the link instead; report this to ' +
        "the integration's maintainers.",
      'unexpected_response',
      { transient: false },
    );
  }
  return { memberId: link.memberId, email, url: link.url, expiresAt: link.expiresAt ?? null };
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'create_login_link',
  noun: 'Login Link',
  display: {
    label: 'Create Login Link',
    description: 'Creates a magic login link without emailing it.',
  },
  operation: {
    inputFields,
    perform,
    // Sotion's documented 50 login links a minute per site, shared with the other login-link
    // step: Zapier holds runs past it and runs them later (it cannot be exercised locally).
    throttle: LOGIN_LINK_THROTTLE,
    sample: createdLoginLinkSample,
    outputFields: createdLoginLinkOutputFields,
  },
});
