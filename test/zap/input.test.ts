import { errors, type ZObject } from 'zapier-platform-core';
import { accessGroups, emailField, optionalId } from '../../src/zap/fields';
import { toBool, toIds, toList, toText } from '../../src/zap/input';
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
        `"${'x'.repeat(60)}… (100 characters)" is not. Pick it from the dropdown or map an ID from an earlier step ` +
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
      `New Email must be an email such as ada@example.com; "${'y'.repeat(80)}… (200 characters)" is not ` +
        '(the email has no @).',
    );
  });

  it('quote an invalid id by its first 80 characters', () => {
    expect(failure(() => id.read(z, 'z'.repeat(200)))).toBe(
      'Member ID must be a Sotion ID (a UUID such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ' +
        `"${'z'.repeat(80)}… (200 characters)" is not. Map the ID from an earlier step.`,
    );
  });
});

describe('input coercion', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['YES', true],
    ['no', false],
    [' on ', true],
    ['off', false],
    ['', undefined],
    ['  ', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('toBool(%j) = %j', (value, expected) => {
    expect(toBool(z, value, 'Paid')).toBe(expected);
  });

  it.each([[2], ['maybe'], [{}], [[true]]])('toBool(%j) names the field', (value) => {
    expect(() => toBool(z, value, 'Paid')).toThrow(/Paid must be true or false/);
  });

  it('toText and toList accept numbers and booleans, split lists, refuse objects', () => {
    expect(toText(z, 12, 'N')).toBe('12');
    expect(toText(z, false, 'N')).toBe('false');
    expect(toText(z, '  ', 'N')).toBeUndefined();
    expect(() => toText(z, ['a'], 'N')).toThrow('N must be text; it was [\\"a\\"].');
    expect(toList(z, 'a, b;c', 'L')).toEqual(['a', 'b', 'c']);
    // Spaces split only IDs: words that are not IDs (a group's name) stay one value.
    expect(toList(z, ['a', null, ' ', 'b c'], 'L')).toEqual(['a', 'b c']);
    const id = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
    const other = '9b2e4c61-0a3d-4f5e-8c7b-1d2e3f4a5b6c';
    expect(toList(z, `${id}  ${other}\n,, Gold  Members ;`, 'L')).toEqual([
      id,
      other,
      'Gold Members',
    ]);
    // A phrase with an ID in it is still one value (the message quotes it whole).
    expect(toList(z, `${id} Gold`, 'L')).toEqual([`${id} Gold`]);
    expect(toList(z, '', 'L')).toEqual([]);
    expect(toList(z, null, 'L')).toEqual([]);
  });

  it('toIds lowercases, removes repeats and lists every bad id', () => {
    const id = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
    expect(toIds(z, [id, id.toUpperCase(), id], 'Groups')).toEqual([id]);
    let message = '';
    try {
      toIds(z, 'x, y', 'Groups');
    } catch (error) {
      message = messageOf(error);
    }
    expect(message).toMatch(/"x", "y" are not\./);
  });
});
