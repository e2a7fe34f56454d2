import { apiKeyProblem, KEY_HELP } from '../../src/http/api-key';
import { KEY } from '../helpers';

describe('apiKeyProblem', () => {
  it('takes a v1 key, with the spaces and line breaks a paste adds around it', () => {
    expect(apiKeyProblem(KEY)).toBeUndefined();
    expect(apiKeyProblem(`  ${KEY}\n`)).toBeUndefined();
  });

  it('a missing or blank key: none was entered', () => {
    const none = `No API key was entered. ${KEY_HELP}`;
    expect(apiKeyProblem(undefined)).toBe(none);
    expect(apiKeyProblem('')).toBe(none);
    expect(apiKeyProblem(' \n\t')).toBe(none);
  });

  it('a UUID is a key of the legacy Members API, in either case', () => {
    const legacy =
      'This looks like a key of the legacy Sotion Members API (a UUID used in *.api.sotion.app ' +
      `addresses). This integration uses the REST API v1, whose keys start with "so_". ${KEY_HELP}`;
    expect(apiKeyProblem('5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6f')).toBe(legacy);
    expect(apiKeyProblem(' 5B0F7C1E-8A2D-4C3B-9E4F-1A2B3C4D5E6F ')).toBe(legacy);
    // Not a UUID: one character short, or more around it.
    expect(apiKeyProblem('5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6')).toMatch(/^This is not a Sotion/);
    expect(apiKeyProblem('x5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6f')).toMatch(/^This is not a/);
  });

  it('a key that does not start with "so_" (the prefix is case-sensitive) is not a v1 key', () => {
    const notV1 = `This is not a Sotion API v1 key: those start with "so_". ${KEY_HELP}`;
    expect(apiKeyProblem('sk_live_123')).toBe(notV1);
    expect(apiKeyProblem('SO_live_123')).toBe(notV1);
    expect(apiKeyProblem(`Bearer ${KEY}`)).toBe(notV1);
  });

  it('a v1 key with spaces or line breaks inside it is refused, without repeating the key', () => {
    const spaced = `The API key contains spaces or line breaks. ${KEY_HELP}`;
    expect(apiKeyProblem('so_live_abc def')).toBe(spaced);
    expect(apiKeyProblem(`${KEY}\n${KEY}`)).toBe(spaced);
    expect(apiKeyProblem(`${KEY}\tx`)).not.toContain(KEY);
  });
});
