import type { ZObject } from 'zapier-platform-core';
import { inputError, quote } from '../http/errors';

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

/** A list field: an array, a single value, or text with several values separated by commas. */
export const toList = (z: ZObject, value: unknown, label: string): string[] => {
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    const text = toText(z, item, label);
    if (text !== undefined) out.push(...text.split(/[\s,;]+/).filter(Boolean));
  }
  return out;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** Ids of Sotion objects are UUIDs; anything else is refused before a request is sent. */
export const toIds = (z: ZObject, value: unknown, label: string): string[] => {
  const ids = [...new Set(toList(z, value, label).map((id) => id.toLowerCase()))];
  const bad = ids.filter((id) => !isUuid(id));
  if (bad.length) {
    throw inputError(
      z,
      `${label} must be Sotion IDs (UUIDs such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ` +
        `${bad.map((id) => JSON.stringify(id.slice(0, 60))).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not. ` +
        'Pick it from the dropdown or map an ID from an earlier step.',
    );
  }
  return ids;
};
