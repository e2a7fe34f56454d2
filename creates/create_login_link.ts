import { defineCreate, type PlainOutputField } from 'zapier-platform-core';
import { LOGIN_LINK_THROTTLE } from '../src/api/members';
import { userError } from '../src/http/errors';
import { loginLinkStep } from '../src/zap/login-link';
import { memberSample } from '../src/zap/samples';

const { inputFields, perform, cannot } = loginLinkStep({
  sendEmail: false,
  helpText:
    'The member to make a login link for: email or member ID. Nothing is emailed; the link ' +
    '(valid 24 hours) logs anyone in as the member, so send it only to them. Example: ' +
    '`ada@example.com`.',
  lostAnswerHint: 'Replaying the step makes a new link (an earlier one, if made, stays valid).',
  output: (z, { id, email }, link) => {
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
  },
});
export { cannot, perform };

/** Create Login Link: the link itself (a credential: it appears only in this output). */
export const createdLoginLinkSample = {
  memberId: memberSample.id,
  email: memberSample.email as string | null,
  url: 'https://docs.example.com/_auth?token=0f3c9a1e5b7d4c2a8e6f1b3d5a7c9e0f',
  expiresAt: '2026-05-07T09:20:00.000Z' as string | null,
};

export const createdLoginLinkOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string', required: true },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'url', label: 'Login Link URL', type: 'string', required: true },
  { key: 'expiresAt', label: 'Expires At', type: 'datetime' },
] satisfies PlainOutputField[];

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

export const requests = 'by ID 1; by email 2';
