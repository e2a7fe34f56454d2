import { defineCreate, type PlainOutputField } from 'zapier-platform-core';
import { loginLinkStep } from '../src/zap/login-link';
import { memberSample } from '../src/zap/samples';
import { LOGIN_LINK_THROTTLE } from '../src/api/members';

const { inputFields, perform, cannot } = loginLinkStep({
  sendEmail: true,
  helpText:
    'The member to email a login link: email or member ID. Each run, replays included, ' +
    'emails another link (Sotion allows 5 a minute per member, 50 per site). Example: ' +
    '`ada@example.com`.',
  lostAnswerHint:
    'Sotion may have emailed the link already; replaying the step emails the member again.',
  output: (_z, { email }, link) => ({ memberId: link.memberId, email, status: link.status }),
});
export { cannot, perform };

/** Send Login Link. */
export const sentLoginLinkSample = {
  memberId: memberSample.id,
  email: memberSample.email as string | null,
  status: 'sent',
};

export const sentLoginLinkOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string', required: true },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'status', label: 'Status', type: 'string', required: true },
] satisfies PlainOutputField[];

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

export const requests = 'by ID 1; by email 2';
