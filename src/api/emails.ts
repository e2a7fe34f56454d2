/** Email handling shared by every member operation. */

/**
 * The one reader of an email, used by every path that reads, compares or sends one. Sotion stores
 * emails trimmed and lowercased (documented for POST /members); Unicode NFKC first makes the same
 * address typed in other bytes the same text: full-width `ＡＤＡ@example.com` is `ada@example.com`,
 * and `josé` with a combining accent is `josé` with the precomposed letter.
 */
export const normalizeEmail = (raw: string): string => raw.normalize('NFKC').trim().toLowerCase();

/** One address of a text, with the name written before it in `Name <address>` form. */
export interface ParsedAddress {
  address: string;
  name?: string;
}

const SEPARATOR = /[\s,;]/;

/**
 * The addresses in a text that may hold several, separated by commas, semicolons or whitespace.
 * `Ada Lovelace <ada@example.com>` (or `"Lovelace, Ada" <ada@example.com>`) is one address with
 * its name; a quoted local part (`"john doe"@example.com`) stays one address.
 */
export const parseAddresses = (text: string): ParsedAddress[] => {
  const out: ParsedAddress[] = [];
  let phrase: string[] = [];
  /** Words not followed by <address> are addresses themselves. */
  const flush = () => {
    for (const word of phrase) out.push({ address: word });
    phrase = [];
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '<') {
      const end = text.indexOf('>', i + 1);
      const address = text.slice(i + 1, end < 0 ? text.length : end).trim();
      // Leading words with an @ are addresses of their own; the rest is the name.
      let start = 0;
      for (let w = 0; w < phrase.length; w += 1)
        if ((phrase[w] as string).includes('@')) start = w + 1;
      for (const word of phrase.slice(0, start)) out.push({ address: word });
      const name = phrase
        .slice(start)
        .join(' ')
        .replace(/^"(.*)"$/, '$1')
        .trim();
      phrase = [];
      if (address) out.push(name ? { address, name } : { address });
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    if (ch === ',' || ch === ';' || ch === '\n' || ch === '\r') {
      flush();
      i += 1;
      continue;
    }
    if (SEPARATOR.test(ch)) {
      i += 1;
      continue;
    }
    // A word: up to the next separator or <, with "quoted parts" (spaces and all) inside it.
    let word = '';
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        const close = text.indexOf('"', i + 1);
        const stop = close < 0 ? text.length : close + 1;
        word += text.slice(i, stop);
        i = stop;
        continue;
      }
      if (SEPARATOR.test(c) || c === '<') break;
      word += c;
      i += 1;
    }
    // A stray ">" (from text such as `d@x.io>`) is not part of the address.
    const clean = word.replace(/>+$/, '');
    if (clean) phrase.push(clean);
  }
  flush();
  return out;
};

/** The addresses of a text, without names (see parseAddresses). */
export const splitEmails = (text: string): string[] =>
  parseAddresses(text).map(({ address }) => address);

const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+$/u;
/** A quoted local part (RFC 5321): printable characters and spaces, `\"` and `\\` escaped. */
const QUOTED_LOCAL = /^"(?:[^"\\\p{Cc}]|\\["\\])*"$/u;
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
  // An @ inside a quoted local part is part of it.
  const quotedPart = /^"(?:[^"\\]|\\.)*"/.exec(email)?.[0] ?? '';
  if (email.indexOf('@', quotedPart.length) !== at) return 'the email has more than one @';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!local) return 'nothing comes before the @';
  if (local.length > 64) return 'the part before the @ is longer than 64 characters';
  const quoted = QUOTED_LOCAL.test(local);
  if (
    !quoted &&
    (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..'))
  ) {
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
