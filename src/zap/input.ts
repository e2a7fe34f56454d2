import type { ZObject } from 'zapier-platform-core';
import { inputError, quote, shorten } from '../http/errors';

/**
 * Zapier hands booleans over as booleans, or as the strings of a dropdown or a mapped value.
 * Returns undefined for an empty value; anything else that is not a yes/no is refused, naming
 * the field.
 */
export const toBool = (z: ZObject, value: unknown, label: string): boolean | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === '') return undefined;
    if (['true', 'yes', 'y', '1', 'on'].includes(text)) return true;
    if (['false', 'no', 'n', '0', 'off'].includes(text)) return false;
  }
  throw inputError(z, `${label} must be true or false (yes/no); it was ${quote(value)}.`);
};

/** A text value, trimmed; undefined when empty. Numbers are accepted as their text. */
export const toText = (z: ZObject, value: unknown, label: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') {
    throw inputError(z, `${label} must be text; it was ${quote(value)}.`);
  }
  const text = value.trim();
  return text === '' ? undefined : text;
};

/**
 * A list field: an array, a single value, or text with several values separated by commas,
 * semicolons or new lines. Spaces separate values only when every word is a Sotion ID: a phrase
 * such as a group's name (`Premium Members`) stays one value, quoted whole in a message.
 */
export const toList = (z: ZObject, value: unknown, label: string): string[] => {
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    const text = toText(z, item, label);
    if (text === undefined) continue;
    for (const part of text.split(/[,;\r\n]/)) {
      const words = part.match(/\S+/g) ?? [];
      if (words.length > 1 && !words.every(isUuid)) out.push(words.join(' '));
      else out.push(...words);
    }
  }
  return out;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** Ids of Sotion objects are UUIDs; anything else is refused before a request is sent. */
export const toIds = (z: ZObject, value: unknown, label: string): string[] => {
  const values = toList(z, value, label);
  const bad = [...new Set(values.filter((id) => !isUuid(id)))];
  const ids = [...new Set(values.map((id) => id.toLowerCase()))];
  if (bad.length) {
    throw inputError(
      z,
      `${label} must be Sotion IDs (UUIDs such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ` +
        `${bad.map((id) => JSON.stringify(shorten(id, 60))).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not. ` +
        'Pick it from the dropdown or map an ID from an earlier step (Find Access Group gives ' +
        "a group's ID from its name).",
    );
  }
  return ids;
};

/** Invisible characters a name or text may not hold, by code point (the rest of Cc is "control"). */
const HIDDEN_NAMES: Record<number, string> = {
  0x0: 'NUL',
  0x9: 'tab',
  0xa: 'line feed',
  0xd: 'carriage return',
  0x180e: 'Mongolian vowel separator',
  0x200b: 'zero-width space',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2061: 'invisible function application',
  0x2062: 'invisible times',
  0x2063: 'invisible separator',
  0x2064: 'invisible plus',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space',
};

/**
 * Control characters (NUL and the rest of C0/C1), bidi embeddings, overrides and isolates, and
 * zero-width characters that join nothing. Kept: the zero-width joiner and non-joiner (emoji and
 * Persian or Indic names need them) and the left-to-right/right-to-left marks (Arabic and Hebrew).
 */
const HIDDEN = /[\p{Cc}\u180E\u200B\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;
const LINE_BREAKS = new Set(['\n', '\r', '\t']);

/**
 * The first invisible character of a text that can hide or reorder what is shown (a right-to-left
 * override makes `evil.exe` look like `exe.live`), described by its code point, name and place:
 * `U+202E (right-to-left override) at character 4`; undefined when there is none. `multiline`
 * texts (descriptions) may hold line breaks and tabs.
 */
export const hiddenCharacter = (text: string, multiline = false): string | undefined => {
  let position = 0;
  for (const char of text) {
    position += 1;
    if (!HIDDEN.test(char) || (multiline && LINE_BREAKS.has(char))) continue;
    const code = char.codePointAt(0) ?? 0;
    const name = HIDDEN_NAMES[code] ?? 'control character';
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')} (${name}) at character ${position}`;
  }
  return undefined;
};

/** What a message says after naming a hidden character. */
export const HIDDEN_WHY = 'an invisible character that can hide or reorder text';

/**
 * Refuses a text holding such a character, naming the field, the code point, its name and where
 * it is. Refused rather than stripped: nothing a user sent is changed silently, and the Zap's owner
 * can clean the value (a Formatter step) knowing what was there.
 */
export const refuseHidden = (z: ZObject, text: string, label: string, multiline = false): void => {
  const found = hiddenCharacter(text, multiline);
  if (found === undefined) return;
  throw inputError(
    z,
    `${label} contains ${found}, ${HIDDEN_WHY}, so nothing was sent. Remove it and try again (a ` +
      'Formatter step can clean a mapped value).',
  );
};
