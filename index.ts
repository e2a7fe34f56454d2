import { defineApp, version as platformVersion } from 'zapier-platform-core';
import pkg from './package.json';
import bulkAddMembers from './creates/bulk_add_members';
import createAccessGroup from './creates/create_access_group';
import authentication from './src/authentication';
import { addSotionHeaders, mapSotionErrors } from './src/middleware';
import customAccessGroupChoices from './triggers/custom_access_group_choices';
import newAccessGroup from './triggers/new_access_group';

export default defineApp({
  version: pkg.version,
  platformVersion,
  authentication,
  beforeRequest: [addSotionHeaders],
  afterResponse: [mapSotionErrors],
  flags: {
    cleanInputData: false,
    // Our afterResponse handles 429 itself, reading Retry-After and X-RateLimit-Reset.
    throwForThrottlingEarly: false,
  },
  triggers: {
    [newAccessGroup.key]: newAccessGroup,
    [customAccessGroupChoices.key]: customAccessGroupChoices,
  },
  creates: {
    [createAccessGroup.key]: createAccessGroup,
    [bulkAddMembers.key]: bulkAddMembers,
  },
  searches: {},
});
