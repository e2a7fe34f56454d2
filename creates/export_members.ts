import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import { exportMembers, type ExportResult } from '../src/files/member-export';
import { SotionClient } from '../src/http/client';
import { fieldsOf, optionalAccessGroup, readInputs } from '../src/zap/fields';

const fields = {
  group: optionalAccessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText:
      "Export only this group's members; leave empty for every member of the site. Example: " +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(fields.group));

export const exportSample: ExportResult = {
  file: 'https://zapier-dev-files.s3.amazonaws.com/cli-platform/20f6d/sotion-members-2026-05-06.csv',
  filename: 'sotion-members-2026-05-06.csv',
  rowCount: 1234,
  accessGroupId: null,
  accessGroupName: null,
  startedAt: '2026-05-06T10:15:00.000Z',
  finishedAt: '2026-05-06T10:15:41.000Z',
  runs: 2,
  apiRequests: 16,
};

export const exportOutputFields = [
  { key: 'file', label: 'File', type: 'file', required: true },
  { key: 'filename', label: 'File Name', type: 'string', required: true },
  { key: 'rowCount', label: 'Row Count', type: 'integer', required: true },
  { key: 'accessGroupId', label: 'Access Group ID', type: 'string' },
  { key: 'accessGroupName', label: 'Access Group Name', type: 'string' },
  { key: 'startedAt', label: 'Started At', type: 'datetime', required: true },
  { key: 'finishedAt', label: 'Finished At', type: 'datetime', required: true },
  { key: 'runs', label: 'Runs', type: 'integer', required: true },
  { key: 'apiRequests', label: 'Sotion API Requests', type: 'integer', required: true },
] satisfies PlainOutputField[];

export const perform = (async (z, bundle) => {
  // First: the client refuses an input that carries the API key before anything reads it.
  const client = new SotionClient(z, bundle);
  const { group } = readInputs(z, bundle.inputData, fields);
  return exportMembers(client, group);
}) satisfies CreatePerform<typeof inputFields, ExportResult>;

export default defineCreate({
  key: 'export_members',
  noun: 'Export',
  display: {
    label: 'Export Members',
    description: "Exports the site's or one group's members as a CSV file.",
  },
  operation: {
    inputFields,
    perform,
    sample: exportSample,
    outputFields: exportOutputFields,
  },
});

export const requests =
  'a page per 100 access groups + a page per 100 members (of the site or the group) + for ' +
  'each other custom group with members a page per 100 of them; over several runs when it ' +
  'does not fit in one';

export const cannot =
  "The file exists only at Zapier. A group's export has no Created dates (Sotion's group member list has none).";
