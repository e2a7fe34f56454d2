import {
  defineTrigger,
  type PlainInputField,
  type WebhookTriggerPerformList,
} from 'zapier-platform-core';
import { SotionClient } from '../../http/client';
import { accessGroups, fieldsOf, readInputs } from '../fields';
import { perform, type HookFilter, type HookTriggerDef } from './delivery';
import { SHAPES, type HookShape } from './shapes';
import { MAX_SUBSCRIPTIONS, subscribe, SUBSCRIBE_REQUESTS, unsubscribe } from './subscribe';

/**
 * One factory for Sotion's nine instant triggers (REST hooks, reference §2.5). Each trigger file
 * gives its key, label, event and the shape of the event's data; the factory puts together
 * subscribe and unsubscribe (subscribe.ts), the delivery's checks (delivery.ts) and what the
 * event's shape outputs, samples and lists for the editor's test (shapes.ts).
 */

/** The membership triggers' filter: only these groups (empty: every group). */
export const membershipFilter: HookFilter = {
  spec: accessGroups({
    key: 'access_group_ids',
    label: 'Access Groups',
    helpText:
      'Only trigger for these access groups; leave empty for every group. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  outputKey: 'accessGroupId',
};

/** The editor's test: real recent objects of the site, shaped like deliveries. */
const list = (def: HookTriggerDef) =>
  (async (z, bundle) => {
    const client = new SotionClient(z, bundle);
    const groupIds = def.filter
      ? readInputs(z, bundle.inputData, { only: def.filter.spec }).only
      : [];
    return SHAPES[def.shape].recent(client, def.event, groupIds);
  }) satisfies WebhookTriggerPerformList;

export const defineHookTrigger = (def: HookTriggerDef) => {
  const { sample, outputFields } = SHAPES[def.shape];
  const inputFields: PlainInputField[] = def.filter ? fieldsOf(def.filter.spec) : [];
  return defineTrigger({
    key: def.key,
    noun: def.noun,
    display: { label: def.label, description: def.description },
    operation: {
      type: 'hook',
      inputFields,
      perform: perform(def),
      performList: list(def),
      performSubscribe: subscribe(def),
      performUnsubscribe: unsubscribe,
      sample: sample(def.event),
      outputFields,
    },
  });
};

/**
 * What docs/operations.md says of an instant trigger with this shape; a trigger file exports it
 * beside its definition: `export const { requests, cannot } = hookDocs('member');`.
 */
export const hookDocs = (shape: HookShape) => ({
  requests: `${SUBSCRIBE_REQUESTS}; each event: ${SHAPES[shape].eachEvent}`,
  cannot:
    `Run in more than ${MAX_SUBSCRIPTIONS} turned-on Zaps per site (Sotion's cap on webhook ` +
    'subscriptions; the polling triggers have none). Show past events: Sotion keeps no list of ' +
    "them, so the editor's test shows recent members or groups shaped as events.",
});
