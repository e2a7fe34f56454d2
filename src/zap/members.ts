import type { ZObject } from 'zapier-platform-core';
import { emailProblem, normalizeEmail } from '../api/emails';
import { getMember, members } from '../api/members';
import type { LoginLink, Member } from '../api/schemas';
import type { SotionClient } from '../http/client';
import { errorInfo, inputError, plainMessage, requestIdSuffix, userError } from '../http/errors';
import type { FieldSpec, MemberRef } from './fields';
import { memberNotFound, requireMember } from './resolve';

export { locateMember, memberNotFound, requireMember } from './resolve';
import { toText } from './input';

/** The logic member steps share: who a member is, its state, and its login links. */

/** The one display-name limit (see src/api/members.ts), for the member steps' fields. */
export { MAX_DISPLAY_NAME } from '../api/members';

interface EmailDef {
  key: string;
  label: string;
  helpText: string;
  required?: boolean;
}

/** An email field: normalised (trimmed, lowercased) and checked before any request. */
export function emailField(def: EmailDef & { required: true }): FieldSpec<string>;
export function emailField(def: EmailDef): FieldSpec<string | undefined>;
export function emailField(def: EmailDef): FieldSpec<string | undefined> {
  return {
    field: {
      key: def.key,
      label: def.label,
      helpText: def.helpText,
      type: 'string',
      required: !!def.required,
    },
    read: (z, value) => readEmail(z, value, def),
  };
}

const readEmail = (z: ZObject, value: unknown, def: EmailDef): string | undefined => {
  const found = toText(z, value, def.label);
  if (found === undefined) {
    if (!def.required) return undefined;
    throw inputError(z, `${def.label} is required: enter an email such as ada@example.com.`);
  }
  const email = normalizeEmail(found);
  const problem = emailProblem(email);
  if (problem) {
    throw inputError(
      z,
      `${def.label} must be an email such as ada@example.com; "${found.slice(0, 80)}" is not (${problem}).`,
    );
  }
  return email;
};

/** True for the pipeline's "Sotion could not find …" error. */
export const isNotFound = (error: unknown): boolean => errorInfo(error)?.status === 404;

/** GET /members/{id} (with access groups), or undefined when Sotion has no such member. */
export const memberOrNothing = async (
  client: SotionClient,
  memberId: string,
): Promise<Member | undefined> => {
  try {
    return await getMember(client, memberId);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};

/** Sets a member's status: one read to know the state (a list record already is one), then a
 * PATCH only when it differs. */
export const setMemberStatus = async (
  client: SotionClient,
  ref: MemberRef,
  label: string,
  status: 'active' | 'blocked',
): Promise<{ member: Member; changed: boolean }> => {
  const located = await requireMember(client, ref, label);
  if (located.record) {
    // Looked up by email: the list form says the status, but has no access groups.
    if (located.record.status === status) {
      return { member: await getMember(client, located.id), changed: false };
    }
  } else {
    const member = await memberOrNothing(client, located.id);
    if (!member) throw memberNotFound(client.z, ref, label, 'Check the ID or pick the member.');
    if (member.status === status) return { member, changed: false };
  }
  const outcome = await client.call(members.update, {
    params: { memberId: located.id },
    body: { status },
  });
  // members.update expects only a 409 (email taken), which a status change cannot cause.
  if (!outcome.ok) throw unexpected(client.z, outcome.status, outcome.requestId);
  return { member: outcome.data.data, changed: true };
};

export const unexpected = (z: ZObject, status: number, requestId: string | undefined): Error =>
  userError(
    z,
    `Sotion answered HTTP ${status}, which this step does not expect here. Replay the step; ` +
      `if it happens again, report it to the integration's maintainers.${requestIdSuffix(requestId)}`,
    'unexpected_response',
    { status, requestId, transient: false },
  );

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

/** Wraps the failure of a step's second part, saying what the first part already did. */
export const afterDone = (z: ZObject, done: string, error: unknown): Error => {
  const info = errorInfo(error);
  return userError(z, `${done} ${plainMessage(error)}`, 'partly_done', {
    status: info?.status,
    requestId: info?.requestId,
    transient: false,
  });
};
