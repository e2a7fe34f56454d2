import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Bundle, WebhookTriggerPerform, ZObject } from 'zapier-platform-core';
import type { WebhookEvent } from '../../api/schemas';
import { readInputs, type FieldSpec } from '../fields';
import { detailsClient } from './details';
import { isRecord, pickText, type Envelope, type Json } from './output';
import { SHAPES, type HookShape } from './shapes';
import { subscribeDataOf } from './subscribe';

export interface HookTriggerDef {
  key: string;
  noun: string;
  label: string;
  /** "Triggers when … ." */
  description: string;
  event: WebhookEvent;
  shape: HookShape;
  /** Optional input: only items matching these fields start a run. */
  filter?: HookFilter;
}

/** An optional filter, read from the step's input and applied to each output item. */
export interface HookFilter {
  spec: FieldSpec<string[]>;
  /** The output key the chosen values are compared to. */
  outputKey: string;
}

/**
 * One delivery, one Zap run at most: verify the signature, drop other event types and retried
 * events, shape the output for the trigger's event shape, and apply the step's filter.
 */

export const SIGNATURE_HEADER = 'x-webhook-signature';
/** How long a delivered event id is remembered against Sotion's retries (seconds). */
export const SEEN_TTL_SECONDS = 3 * 24 * 60 * 60;

/** A header of Zapier's raw request, case-insensitively, with or without the `Http-` prefix. */
export const headerOf = (
  headers: Record<string, unknown> | undefined,
  name: string,
): string | undefined => {
  const wanted = [name.toLowerCase(), `http-${name.toLowerCase()}`];
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (!wanted.includes(key.toLowerCase())) continue;
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string') return text;
  }
  return undefined;
};

/**
 * Why a delivery's signature does not hold, or undefined when it does: `sha256=<hex>` of the
 * HMAC-SHA256 of the exact body with the subscription's secret, compared in constant time.
 */
export const signatureProblem = (
  body: string,
  header: string | undefined,
  secret: string | undefined,
): string | undefined => {
  if (!secret) return 'the subscription has no signing secret (turn the Zap off and on again)';
  if (header === undefined) return 'the delivery is not signed (no X-Webhook-Signature header)';
  const match = /^\s*sha256=([0-9a-f]+)\s*$/i.exec(header);
  if (!match) return 'the X-Webhook-Signature header is not of the form sha256=<hex>';
  // Hex decoding takes either case.
  const given = Buffer.from(match[1] as string, 'hex');
  const expected = createHmac('sha256', secret).update(body, 'utf8').digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'the signature does not match the body (signed with another secret, or altered)';
  }
  return undefined;
};

const envelopeOf = (body: string): { envelope: Envelope; data: Json } | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const id = pickText(parsed, 'id');
  const type = pickText(parsed, 'type');
  if (!id || !type) return undefined;
  return {
    envelope: { id, type, timestamp: pickText(parsed, 'timestamp') ?? null },
    data: isRecord(parsed.data) ? parsed.data : {},
  };
};

const ignore = (z: ZObject, def: HookTriggerDef, why: string): [] => {
  z.console.log(`Sotion delivery for ${def.key} ignored, no Zap run: ${why}.`);
  return [];
};

/** Event ids already turned into a Zap run, per subscription (Sotion retries with the same id). */
const seenKey = (bundle: Bundle, eventId: string): string =>
  `sotion:hook:${subscribeDataOf(bundle).id ?? bundle.targetUrl ?? 'unknown'}:${eventId}`;

/**
 * Set-if-absent on z.cache: true when this call claimed the key. A value already there means a
 * run was started for it; `nx` settles a race between two deliveries (Zapier answers false to a
 * set that did not happen; the test double always answers true, so the read comes first).
 */
const claim = async (z: ZObject, key: string): Promise<boolean> => {
  if ((await z.cache.get(key)) !== null) return false;
  return (await z.cache.set(key, 1, SEEN_TTL_SECONDS, undefined, true)) !== false;
};

const matchesFilter = (def: HookTriggerDef, z: ZObject, bundle: Bundle, item: Json): boolean => {
  if (!def.filter) return true;
  const wanted = readInputs(z, bundle.inputData, { only: def.filter.spec }).only;
  if (wanted.length === 0) return true;
  const value = item[def.filter.outputKey];
  return typeof value === 'string' && wanted.includes(value.toLowerCase());
};

export const perform = (def: HookTriggerDef) =>
  (async (z, bundle) => {
    const body = bundle.rawRequest?.content;
    if (typeof body !== 'string') return ignore(z, def, 'Zapier passed no raw body to verify');
    const header = headerOf(bundle.rawRequest?.headers, SIGNATURE_HEADER);
    const problem = signatureProblem(body, header, subscribeDataOf(bundle).secret);
    if (problem) return ignore(z, def, problem);
    const parsed = envelopeOf(body);
    if (!parsed) return ignore(z, def, 'the body is not a Sotion event (no id or type)');
    const { envelope, data } = parsed;
    if (envelope.type !== def.event) {
      return ignore(z, def, `event ${envelope.id} is "${envelope.type}", not "${def.event}"`);
    }
    const key = seenKey(bundle, envelope.id);
    if ((await z.cache.get(key)) !== null) {
      return ignore(z, def, `event ${envelope.id} was already delivered (a retry)`);
    }
    const item = await SHAPES[def.shape].fromDelivery(detailsClient(z, bundle), envelope, data);
    if (!(await claim(z, key))) {
      return ignore(z, def, `event ${envelope.id} was already delivered (a retry)`);
    }
    if (!matchesFilter(def, z, bundle, item)) {
      return ignore(z, def, `event ${envelope.id} does not match the step's filter`);
    }
    if (item.detailsComplete === false) {
      z.console.log(
        `Sotion delivery for ${def.key}: event ${envelope.id} starts its Zap run without all ` +
          `details. ${String(item.detailsMissingReason)}`,
      );
    }
    return [item];
  }) satisfies WebhookTriggerPerform;
