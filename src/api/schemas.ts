import { z } from 'zod';

/**
 * The shapes of Sotion API v1 responses (../shared/reference/sotion-api-v1.md §1.4, §1.10).
 * Every response body is parsed with one of these before any operation reads it, so a shape the
 * contract does not promise becomes a clear error rather than `undefined` further down.
 * Unknown extra fields are kept (passthrough): Sotion may add fields without breaking us.
 */

const nullableString = z.string().nullable();
/** Documented as nullable date-time; missing is tolerated as null where the docs are unsure. */
const timestamp = z.string().nullable().optional().default(null);

export const AccessGroupType = z.enum(['custom', 'scope']);

export const AccessGroup = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: nullableString.optional().default(null),
  type: AccessGroupType,
  memberCount: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type AccessGroup = z.infer<typeof AccessGroup>;

export const GroupRef = z.looseObject({ id: z.string().min(1), name: z.string().optional() });

const memberBase = {
  id: z.string().min(1),
  email: z.string(),
  displayName: nullableString.optional().default(null),
  status: z.enum(['active', 'blocked']),
  verified: z.boolean().nullable().optional().default(null),
  paid: z.boolean().nullable().optional().default(null),
  registeredAt: timestamp,
  lastLoginAt: timestamp,
};

/** GET /members items and bulk results: no accessGroups. */
export const MemberListItem = z.looseObject({
  ...memberBase,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type MemberListItem = z.infer<typeof MemberListItem>;

/** GET /access-groups/{id}/members items: no createdAt, updatedAt or accessGroups. */
export const GroupMemberItem = z.looseObject(memberBase);
export type GroupMemberItem = z.infer<typeof GroupMemberItem>;

/** GET/POST/PATCH /members/{id} and POST /access-groups/{id}/members. */
export const Member = MemberListItem.extend({ accessGroups: z.array(GroupRef) });
export type Member = z.infer<typeof Member>;

export const Site = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  domain: nullableString.optional().default(null),
  slug: z.string(),
  title: nullableString.optional().default(null),
});
export type Site = z.infer<typeof Site>;

export const Pagination = z.looseObject({
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});
export type Pagination = z.infer<typeof Pagination>;

export const single = <T extends z.ZodType>(item: T) => z.looseObject({ data: item });
export const list = <T extends z.ZodType>(item: T) =>
  z.looseObject({ data: z.array(item), pagination: Pagination });

export const BulkItem = z.looseObject({
  email: z.string(),
  status: z.enum(['created', 'conflict', 'error']),
  member: MemberListItem.optional(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});
export type BulkItem = z.infer<typeof BulkItem>;

export const BulkResponse = z.looseObject({
  data: z.array(BulkItem),
  summary: z.looseObject({ total: z.number(), created: z.number(), failed: z.number() }),
});
export type BulkResponse = z.infer<typeof BulkResponse>;

/** DELETE endpoints answer with no body. */
export const Empty = z.unknown();

export const WEBHOOK_EVENTS = [
  'member.created',
  'member.updated',
  'member.auth',
  'member.deleted',
  'access-group.created',
  'access-group.updated',
  'access-group.deleted',
  'access-group.member.added',
  'access-group.member.removed',
] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export const Webhook = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  secretPrefix: z.string().optional(),
  managedBy: nullableString.optional().default(null),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Webhook = z.infer<typeof Webhook>;

/** POST /webhooks is the only answer that carries the full signing secret. */
export const CreatedWebhook = Webhook.extend({ secret: z.string().min(1) });
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;

/** POST /members/{id}/login-links: `url` and `expiresAt` only when no email is sent. */
export const LoginLink = z.looseObject({
  memberId: z.string().min(1),
  status: z.enum(['sent', 'created']),
  url: z.string().optional(),
  expiresAt: z.string().nullable().optional(),
});
export type LoginLink = z.infer<typeof LoginLink>;
