/** What the connection screen and every key error point to. */
export const KEY_HELP =
  'Create a key in your Sotion dashboard under Site settings → Integrations → API Keys ' +
  '(it starts with "so_" and is shown only once).';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Why a key cannot be a Sotion API v1 key, or undefined when it looks right.
 * The message never repeats the key.
 */
export const apiKeyProblem = (raw: string | undefined): string | undefined => {
  const key = (raw ?? '').trim();
  if (!key) return `No API key was entered. ${KEY_HELP}`;
  if (UUID.test(key)) {
    return (
      'This looks like a key of the legacy Sotion Members API (a UUID used in *.api.sotion.app ' +
      `addresses). This integration uses the REST API v1, whose keys start with "so_". ${KEY_HELP}`
    );
  }
  if (!key.startsWith('so_')) {
    return `This is not a Sotion API v1 key: those start with "so_". ${KEY_HELP}`;
  }
  if (/\s/.test(key)) return `The API key contains spaces or line breaks. ${KEY_HELP}`;
  return undefined;
};
