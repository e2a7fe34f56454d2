/**
 * Every behaviour the Sotion API v1 reference (../shared/reference/sotion-api-v1.md) leaves
 * undocumented, decided once, with the reason. Where a client must not depend on the choice, the
 * sandbox can be switched between the plausible behaviours (`Behaviour`), and the end-to-end
 * suite runs against each.
 */

export interface Behaviour {
  /** §1.6/§5.8: order of GET /access-groups is not documented. */
  groupOrder: 'newest' | 'oldest' | 'name';
  /** §1.7/§5.7: whether 429 carries Retry-After is not documented. */
  throttle: 'retry-after' | 'reset-only';
  /** §1.8/§5.2: only `{"error": "<string>"}` is documented (for a missing key). */
  errorShape: 'string' | 'object';
  /** §5.4: 201 is implied by Location but not shown. */
  createStatus: 201 | 200;
  /** §2.3/§5.15: removing a member who is not in the group: 404, or an idempotent 204. */
  removeNotInGroup: 404 | 204;
  /** §2.4/§5.16: login links answer 201 or 200 (Location is documented, the status is not). */
  loginLinkStatus: 201 | 200;
  /** §1.10/§5.10: group createdAt/updatedAt are nullable; 'null' serves every group's as null. */
  groupCreatedAt: 'set' | 'null';
  /** §2.5/§5.17: the data of access-group.member.added/removed is not documented. 'ids' sends
   * `{memberId, accessGroupId}`; 'objects' adds `member` and `accessGroup` as the API shows them. */
  membershipPayload: 'ids' | 'objects';
}

/** The allowed values of each behaviour (flags, environment and POST /__sandbox/config check them). */
export const BEHAVIOUR_CHOICES: { [K in keyof Behaviour]: ReadonlyArray<Behaviour[K]> } = {
  groupOrder: ['newest', 'oldest', 'name'],
  throttle: ['retry-after', 'reset-only'],
  errorShape: ['string', 'object'],
  createStatus: [201, 200],
  removeNotInGroup: [404, 204],
  loginLinkStatus: [201, 200],
  groupCreatedAt: ['set', 'null'],
  membershipPayload: ['ids', 'objects'],
};

export const DEFAULT_BEHAVIOUR: Behaviour = {
  // Oldest first (insertion order) is what a cursor of "id of the last item" most naturally gives.
  groupOrder: 'oldest',
  // Retry-After is common practice; the reset-only variant tests the X-RateLimit-Reset path.
  throttle: 'retry-after',
  errorShape: 'string',
  createStatus: 201,
  // 404 tells a client its picture of the group was stale; 204 is the idempotent alternative.
  removeNotInGroup: 404,
  // 201 matches the Location header and the other creates.
  loginLinkStatus: 201,
  // The seeded and created groups carry timestamps; 'null' checks clients accept the nullable.
  groupCreatedAt: 'set',
  // The superset: receivers that need only the ids find them, and Zapier gets fields to map.
  membershipPayload: 'objects',
};

export const DECISIONS = {
  /** §5.1: every endpoint page uses /api/v1, the Authentication page /v1. The sandbox serves
   * /api/v1, or only /v1 with `--api-prefix /v1` (a client must find either). Outside that path
   * it answers like a web server with no API there: 404 with an HTML page, no Sotion error body,
   * no X-Request-Id or X-RateLimit-* headers. Inside it, an unknown route is Sotion's 404. */
  basePath: '/api/v1',
  /** §5.3: 401 for a missing, malformed, unknown or revoked key; the documented body for missing. */
  authFailureStatus: 401,
  missingKeyMessage: 'Missing API key. Pass Authorization: Bearer so_...',
  invalidKeyMessage: 'Invalid API key.',
  /** §5.5: validation failures are 400 (the legacy API used 400 for bad input). */
  validationStatus: 400,
  /** §1.6: limit outside 1–100 is rejected, not clamped: a silent clamp would hide client bugs. */
  rejectBadLimit: true,
  /** §1.6/§5.8: the cursor is the id of the last item of the page; an unknown cursor is a 400. */
  cursor: 'last-id',
  /** §5.6: unknown ids are 404 on every GET/PATCH/DELETE, like the documented webhook delete. */
  unknownIdStatus: 404,
  /** §2.2/§5.12: group names are unique case-insensitively after trimming; PATCH conflicts are 409. */
  groupNameUnique: 'case-insensitive',
  /** §5.18: the dashboard's built-in groups ("All Members", "Individual Member") are not listed. */
  listBuiltInGroups: false,
  /** §5.13: POST /members with an unknown group id: 404, nothing created (atomic). */
  createMemberUnknownGroup: 404,
  /** §5.14: bulk `accessGroupIds` at the top level; a scope id fails the whole request with 403,
   * an unknown id with 404; a repeated email inside one batch gives `conflict` for the repeat;
   * `conflict` items carry `error: {code: "conflict"}`; summary.failed = total − created. */
  bulk: { maxMembers: 500, duplicateInBatch: 'conflict', failedCountsConflicts: true },
  /** §5.15 and §5.16 (member not in the group; login-link status): see `Behaviour`.
   * §5.16: blocked members get 403 on login links; redirectPath is accepted and ignored; the link
   * URL is a credential, so the sandbox never logs it (it keeps no request log at all). */
  loginLinkLimits: { perMemberPerMinute: 5, perSitePerMinute: 50 },
  /** §5.17: the 11th active webhook is refused with 422; URLs must be https (422 otherwise);
   * names default to "<managedBy or dashboard>: <events>"; a caller cannot supply a secret;
   * deliveries are retried 3 times (after 1 s, 2 s, 4 s; shortened in tests) and never
   * auto-disabled; headers X-Webhook-Signature, X-Webhook-Event, X-Webhook-Delivery (new for each
   * attempt), X-Webhook-Id (the envelope id, the same on every retry). Envelope as §2.5 documents:
   * {id, type, timestamp, version: "1", siteId, data}. data per event: member.created/updated the
   * member as GET /members/{id} returns it (with accessGroups); member.deleted {id, email};
   * access-group.created/updated the group as GET /access-groups/{id} returns it;
   * access-group.deleted {id, name}; access-group.member.added/removed see
   * `Behaviour.membershipPayload`. Every mutating route emits its event: PATCH /members (also a
   * block/unblock) member.updated; POST /members and each created bulk member member.created, then
   * access-group.member.added for each group in accessGroupIds. member.auth (a visitor logging
   * in or out, which no API route causes) is emitted by POST /__sandbox/member-auth with the
   * member as GET /members/{id} returns it plus `action: "login" | "logout"`. */
  webhooks: { maxActive: 10, limitStatus: 422, retries: 3 },
  /** §1.7/§5.7: a fixed window per key (the docs say neither per key nor per site). The window
   * may be fractional (0.5 s, 2 s); X-RateLimit-Reset is Unix seconds as documented, so it is the
   * window's end rounded up to a whole second. X-RateLimit-* are sent on every API answer,
   * including 401s and 429s (remaining 0 on a 429). */
  rateLimit: { windowSeconds: 60, limit: 600 },
  /** §5.20: no idempotency keys; duplicates are stopped only by the documented 409s. */
  idempotencyKeys: false,
} as const;
