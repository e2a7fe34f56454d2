import { defineCreate } from 'zapier-platform-core';
import { memberStatusStep } from '../src/zap/member-status';

const { inputFields, perform, sample, outputFields } = memberStatusStep('active');
export { perform };

export default defineCreate({
  key: 'unblock_member',
  noun: 'Member',
  display: {
    label: 'Unblock Member',
    description: 'Unblocks a blocked member, restoring access.',
  },
  operation: { inputFields, perform, sample, outputFields },
});

export const requests = 'by ID 2 (1 when already active); by email 2';
