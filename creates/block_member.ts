import { defineCreate } from 'zapier-platform-core';
import { memberStatusStep } from '../src/zap/member-status';

const { inputFields, perform, sample, outputFields } = memberStatusStep('blocked');
export { perform };

export default defineCreate({
  key: 'block_member',
  noun: 'Member',
  display: {
    label: 'Block Member',
    description: 'Blocks a member from the site, keeping the member.',
  },
  operation: { inputFields, perform, sample, outputFields },
});

export const requests = 'by ID 2 (1 when already blocked); by email 2';
