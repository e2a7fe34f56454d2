/** HTTP plumbing and request validation shared by the sandbox's routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DECISIONS } from './decisions';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const bad = (message: string): never => {
  throw new HttpError(DECISIONS.validationStatus, message, 'validation_error');
};
export const notFound = (what: string): never => {
  throw new HttpError(DECISIONS.unknownIdStatus, `${what} not found.`, 'not_found');
};
export const conflict = (message: string): never => {
  throw new HttpError(409, message, 'conflict');
};
export const forbidden = (message: string): never => {
  throw new HttpError(403, message, 'forbidden');
};

export const uuidParam = (value: string | undefined, name: string): string => {
  if (!value || !UUID.test(value)) bad(`${name} must be a UUID.`);
  return value as string;
};

export const objectBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    bad('Body must be a JSON object.');
  return body as Record<string, unknown>;
};

export const optionalText = (
  body: Record<string, unknown>,
  key: string,
  max: number,
  nullable = true,
) => {
  const value = body[key];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'string') bad(`${key} must be a string.`);
  if ([...(value as string)].length > max) bad(`${key} must be at most ${max} characters.`);
  return value as string;
};

export const groupName = (value: unknown): string => {
  if (typeof value !== 'string') bad('name is required and must be a string.');
  const name = (value as string).trim();
  if (name.length < 1 || [...name].length > 100) bad('name must be 1-100 characters.');
  return name;
};

export const normEmail = (value: unknown, key = 'email'): string => {
  if (typeof value !== 'string') bad(`${key} is required and must be a string.`);
  const email = (value as string).trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) bad(`${key} must be a valid email address.`);
  return email;
};

export const boolParam = (value: unknown, key: string): boolean | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(`${key} must be a boolean.`);
  return value as boolean;
};

export const paginate = <T extends { id: string }>(items: T[], query: URLSearchParams) => {
  const rawLimit = query.get('limit');
  let limit = 50;
  if (rawLimit !== null) {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      bad('limit must be an integer from 1 to 100.');
  }
  let start = 0;
  const after = query.get('after');
  if (after !== null) {
    uuidParam(after, 'after');
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) bad('Unknown cursor: after must be a nextCursor from a previous page.');
    start = index + 1;
  }
  const data = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  return { data, pagination: { hasMore, nextCursor: hasMore ? data[data.length - 1]!.id : null } };
};

/** Writes a reply; `malformed` cuts the JSON body in half (a fault). */
export const send = (
  res: ServerResponse,
  reply: Reply,
  extra: Record<string, string>,
  malformed = false,
) => {
  const headers: Record<string, string> = { ...extra, ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  res.writeHead(reply.status, headers);
  res.end(malformed ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text);
};

export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
