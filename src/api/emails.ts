/** Email handling shared by every member operation. */

/** Sotion stores emails trimmed and lowercased (documented for POST /members). */
export const normalizeEmail = (raw: string): string => raw.trim().toLowerCase();

/** Splits text that may hold several addresses separated by commas, semicolons or whitespace. */
export const splitEmails = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((part) => part.replace(/^<|>$/g, ''))
    .filter(Boolean);

const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

/**
 * Why an address cannot be a member's email, or undefined when it can. Deliberately plain
 * (RFC 5321 lengths, one @, a dotted domain); internationalised addresses are accepted.
 */
export const emailProblem = (email: string): string | undefined => {
  if (email === '') return 'the email is empty';
  if (email.length > 254) return 'the email is longer than 254 characters';
  const at = email.lastIndexOf('@');
  if (at < 0) return 'the email has no @';
  if (email.indexOf('@') !== at) return 'the email has more than one @';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!local) return 'nothing comes before the @';
  if (local.length > 64) return 'the part before the @ is longer than 64 characters';
  if (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'the part before the @ has characters an email cannot have';
  }
  if (!domain) return 'nothing comes after the @';
  const labels = domain.split('.');
  if (labels.length < 2) return `the domain "${domain}" has no dot`;
  if (labels.some((label) => !LABEL.test(label) || label.length > 63)) {
    return `the domain "${domain}" is not a valid domain name`;
  }
  const tld = labels[labels.length - 1] ?? '';
  if (tld.length < 2 || /^\d+$/.test(tld)) return `the domain "${domain}" has no valid ending`;
  return undefined;
};
