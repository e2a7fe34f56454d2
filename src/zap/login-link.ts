import { defineInputFields, type CreatePerform, type ZObject } from 'zapier-platform-core';
import { members } from '../api/members';
import type { LoginLink } from '../api/schemas';
import { SotionClient } from '../http/client';
import { errorInfo } from '../http/errors';
import { fieldsOf, member, readInputs, type MemberRef } from './fields';
import { memberNotFound, requireMember, type Located } from './resolve';
import { isNotFound } from './step-errors';

/** Login links: the request (Create Member's email too), and the two login-link steps. */

export interface LoginLinkOptions {
  /** True: Sotion emails the link. False: the link comes back (a credential). */
  sendEmail: boolean;
  /** What a lost answer means and whether replaying repeats it (help-text wording). */
  lostAnswerHint: string;
  ref: MemberRef;
  label: string;
}

/**
 * POST /members/{id}/login-links. Never retried after a lost answer (each send is a new link,
 * and maybe a new email). A link that comes back is requested raw, so core does not log it.
 */
export const requestLoginLink = async (
  client: SotionClient,
  memberId: string,
  options: LoginLinkOptions,
): Promise<LoginLink> => {
  try {
    const { data } = await client.call(members.createLoginLink, {
      params: { memberId },
      body: { sendEmail: options.sendEmail },
      lostAnswerHint: options.lostAnswerHint,
      sensitive: !options.sendEmail,
    });
    return data.data;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw memberNotFound(
      client.z,
      options.ref,
      options.label,
      'It may have been deleted; check the member.',
      errorInfo(error)?.requestId,
    );
  }
};

export interface LoginLinkStep<T extends object> {
  sendEmail: boolean;
  /** The Member field's help text. */
  helpText: string;
  lostAnswerHint: string;
  /** The step's output, from the member (its email when the step named it by email) and link. */
  output: (z: ZObject, member: Located, link: LoginLink) => T;
}

/**
 * Send Login Link and Create Login Link: the Member field, the member's look-up and the request
 * both make; each step says what it outputs.
 */
export const loginLinkStep = <T extends object>(step: LoginLinkStep<T>) => {
  const fields = { member: member({ key: 'member', label: 'Member', helpText: step.helpText }) };
  const inputFields = defineInputFields(fieldsOf(fields.member));
  const perform = (async (z, bundle) => {
    const { member: ref } = readInputs(z, bundle.inputData, fields);
    const client = new SotionClient(z, bundle);
    const located = await requireMember(client, ref, 'Member');
    const link = await requestLoginLink(client, located.id, {
      sendEmail: step.sendEmail,
      ref,
      label: 'Member',
      lostAnswerHint: step.lostAnswerHint,
    });
    return step.output(z, located, link);
  }) satisfies CreatePerform<typeof inputFields, T>;
  return {
    inputFields,
    perform,
    cannot:
      "Choose the page the member lands on after logging in: Sotion's current docs have no " +
      '`redirectPath`.',
  };
};
