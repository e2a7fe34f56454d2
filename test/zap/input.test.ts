import { errors, type ZObject } from 'zapier-platform-core';
import { accessGroups, emailField, optionalId } from '../../src/zap/fields';
import { toIds, toList } from '../../src/zap/input';
import { messageOf } from '../helpers';

const z = { errors } as unknown as ZObject;
const G = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
const H = '4f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return messageOf(error);
  }
  throw new Error('expected the read to fail');
};

describe('list input', () => {
  it('separators at the start or end of a text leave no empty values', () => {
    expect(toList(z, ',a;b,', 'Tags')).toEqual(['a', 'b']);
    expect(toList(z, [`${G},`, `;${H}`], 'Groups')).toEqual([G, H]);
    expect(toIds(z, `${G},`, 'Groups')).toEqual([G]);
  });

  it('quotes each value that is not an ID by its first 60 characters', () => {
    const long = 'x'.repeat(100);
    expect(failure(() => toIds(z, `${G}, ${long}`, 'Groups'))).toBe(
      'Groups must be Sotion IDs (UUIDs such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ' +
        `"${'x'.repeat(60)}" is not. Pick it from the dropdown or map an ID from an earlier step ` +
        "(Find Access Group gives a group's ID from its name).",
    );
  });

  it('a group name is one value, quoted whole; IDs separated by spaces are still several', () => {
    expect(toList(z, 'Premium  Members', 'Groups')).toEqual(['Premium Members']);
    expect(toList(z, ['Premium Members; VIP', `${G} ${H}`], 'Groups')).toEqual([
      'Premium Members',
      'VIP',
      G,
      H,
    ]);
    expect(toIds(z, `${G} ${H.toUpperCase()}\n${G}`, 'Groups')).toEqual([G, H]);
    expect(failure(() => toIds(z, [G, 'Premium Members'], 'Groups'))).toMatch(
      /\); "Premium Members" is not\. /,
    );
  });
});

describe('required access groups', () => {
  it('reads the chosen groups when at least one is given', () => {
    const needed = accessGroups({ key: 'g', label: 'Groups', helpText: '', required: true });
    expect(needed.read(z, [G, H.toUpperCase()])).toEqual([G, H]);
    expect(needed.read(z, G)).toEqual([G]);
  });
});

describe('optional email and id fields', () => {
  const email = emailField({ key: 'email', label: 'New Email', helpText: '' });
  const id = optionalId({ key: 'id', label: 'Member ID', helpText: '' });

  it('read a valid value and leave an empty one out', () => {
    expect(email.read(z, ' Ada@Example.COM ')).toBe('ada@example.com');
    expect(email.read(z, '')).toBeUndefined();
    expect(id.read(z, G.toUpperCase())).toBe(G);
    expect(id.read(z, undefined)).toBeUndefined();
  });

  it('quote an invalid email by its first 80 characters', () => {
    expect(failure(() => email.read(z, 'y'.repeat(200)))).toBe(
      `New Email must be an email such as ada@example.com; "${'y'.repeat(80)}" is not ` +
        '(the email has no @).',
    );
  });

  it('quote an invalid id by its first 80 characters', () => {
    expect(failure(() => id.read(z, 'z'.repeat(200)))).toBe(
      'Member ID must be a Sotion ID (a UUID such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ' +
        `"${'z'.repeat(80)}" is not. Map the ID from an earlier step.`,
    );
  });
});
