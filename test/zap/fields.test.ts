import { errors, type ZObject } from 'zapier-platform-core';
import {
  accessGroup,
  accessGroups,
  bool,
  choice,
  emailField,
  fieldsOf,
  member,
  readInputs,
  text,
} from '../../src/zap/fields';
import { messageOf } from '../helpers';

const z = { errors } as unknown as ZObject;
const G = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return messageOf(error);
  }
  throw new Error('expected the read to fail');
};

describe('text()', () => {
  const name = text({ key: 'name', label: 'Name', required: true, max: 5, example: 'VIP' });
  const note = text({ key: 'note', label: 'Note', long: true, min: 2 });

  it('declares the Zapier field', () => {
    expect(name.field).toEqual({ key: 'name', label: 'Name', type: 'string', required: true });
    expect(note.field).toEqual({ key: 'note', label: 'Note', type: 'text', required: false });
  });

  it.each([
    ['Ada\u202Eecalevol', 'U+202E (right-to-left override) at character 4'],
    ['A\u200Bda', 'U+200B (zero-width space) at character 2'],
    ['A\u0000', 'U+0000 (NUL) at character 2'],
    ['A\u2066b', 'U+2066 (left-to-right isolate) at character 2'],
    ['A\u0085', 'U+0085 (control character) at character 2'],
    ['A\nB', 'U+000A (line feed) at character 2'],
  ])('refuses control, bidi-override and zero-width characters, naming them: %j', (value, what) => {
    const nick = text({ key: 'nick', label: 'Display Name' });
    expect(failure(() => nick.read(z, value))).toBe(
      `Display Name contains ${what}, an invisible character that can hide or reorder text, so ` +
        'nothing was sent. Remove it and try again (a Formatter step can clean a mapped value).',
    );
  });

  it('keeps what names need: ZWJ emoji, ZWNJ, RTL marks; a long text keeps its line breaks', () => {
    const nick = text({ key: 'nick', label: 'Display Name' });
    for (const value of ['👩\u200D💻 Ada', 'می\u200Cخواهم', '\u200Fשלום', 'Zoë']) {
      expect(nick.read(z, value)).toBe(value);
    }
    expect(note.read(z, 'one\r\ntwo\tthree')).toBe('one\r\ntwo\tthree');
    expect(failure(() => note.read(z, 'one\u202Etwo'))).toMatch(/^Note contains U\+202E/);
  });

  it('trims, counts characters (not UTF-16 units) and checks the range', () => {
    expect(name.read(z, '  VIP ')).toBe('VIP');
    expect(name.read(z, '😀😀😀😀😀')).toBe('😀😀😀😀😀');
    expect(failure(() => name.read(z, 'abcdef'))).toBe(
      'Name must be at most 5 characters; it has 6. Shorten it and try again.',
    );
    expect(failure(() => note.read(z, 'a'))).toBe('Note must be at least 2 characters; it has 1.');
    expect(note.read(z, 'ab')).toBe('ab');
  });

  it('says what a required field needs, with its example', () => {
    expect(failure(() => name.read(z, '  '))).toBe(
      'Name is required: enter 1 to 5 characters, such as "VIP".',
    );
    const bare = text({ key: 'x', label: 'x', required: true });
    expect(failure(() => bare.read(z, undefined))).toBe('x is required: enter a value.');
    expect(note.read(z, '')).toBeUndefined();
  });
});

describe('choice()', () => {
  const mode = choice({
    key: 'mode',
    label: 'Mode',
    default: 'a',
    choices: [
      { value: 'a', label: 'A' },
      { value: 'b', label: 'B' },
      { value: 'c', label: 'C' },
    ],
  });
  const optional = choice({ key: 'o', label: 'Only', choices: [{ value: 'x', label: 'X' }] });

  it('reads the label the editor shows as its value (any case), and names each value by its label', () => {
    const ifExists = choice({
      key: 'if_exists',
      label: 'If the Email Exists',
      choices: [
        { value: 'error', label: 'Stop with an error' },
        { value: 'update', label: 'Update the existing member' },
      ],
    });
    expect(ifExists.read(z, 'Update the existing member')).toBe('update');
    expect(ifExists.read(z, ' update THE existing member ')).toBe('update');
    expect(ifExists.read(z, 'update')).toBe('update');
    expect(ifExists.labelOf('update')).toBe('Update the existing member');
  });

  it('takes its allowed values from its own choices', () => {
    expect(mode.field.choices).toEqual([
      { value: 'a', sample: 'a', label: 'A' },
      { value: 'b', sample: 'b', label: 'B' },
      { value: 'c', sample: 'c', label: 'C' },
    ]);
    expect(mode.field.default).toBe('a');
    expect(mode.read(z, 'b')).toBe('b');
    expect(mode.read(z, '')).toBe('a');
    expect(optional.read(z, undefined)).toBeUndefined();
    expect(failure(() => mode.read(z, 'd'))).toBe(
      'Mode must be one of its choices: "A", "B" or "C"; it was "d". Pick one from the dropdown.',
    );
    expect(failure(() => optional.read(z, 'y'))).toBe(
      'Only must be one of its choices: "X"; it was "y". Pick one from the dropdown.',
    );
    expect(failure(() => optional.read(z, 'y'.repeat(200)))).toBe(
      `Only must be one of its choices: "X"; it was "${'y'.repeat(80)}… (200 characters)". Pick one from the dropdown.`,
    );
  });
});

describe('bool()', () => {
  it('reads yes/no with a default', () => {
    const on = bool({ key: 'on', label: 'On', default: true });
    expect(on.field).toMatchObject({ type: 'boolean', default: 'true' });
    expect(on.read(z, undefined)).toBe(true);
    expect(on.read(z, 'no')).toBe(false);
    expect(bool({ key: 'x', label: 'X' }).read(z, '')).toBeUndefined();
  });
});

describe('access group fields', () => {
  it('offer the custom-group dropdown and read UUIDs', () => {
    const many = accessGroups({ key: 'groups', label: 'Groups', helpText: 'Pick.' });
    expect(many.field).toMatchObject({
      list: true,
      required: false,
      dynamic: 'custom_access_group_choices.id.name',
    });
    expect(many.field.helpText).toMatch(
      /^Pick\. Scope groups are read-only, so only custom groups are listed\.$/,
    );
    expect(many.read(z, [G, G.toUpperCase()])).toEqual([G]);
    expect(many.read(z, undefined)).toEqual([]);
    const needed = accessGroups({ key: 'g', label: 'Groups', helpText: '', required: true });
    expect(failure(() => needed.read(z, []))).toBe(
      'Groups is required: pick at least one access group.',
    );
  });

  it('one group: exactly one UUID', () => {
    const one = accessGroup({ key: 'group', label: 'Access Group', helpText: 'Pick.' });
    expect(one.field).toMatchObject({
      required: true,
      dynamic: 'custom_access_group_choices.id.name',
    });
    expect(one.read(z, G)).toBe(G);
    expect(failure(() => one.read(z, ''))).toBe(
      'Access Group is required: pick an access group from the dropdown or map its ID.',
    );
    expect(failure(() => one.read(z, `${G},${G.replace('3f', '4f')}`))).toBe(
      'Access Group takes one access group; it got 2.',
    );
    expect(failure(() => one.read(z, 'Premium Members'))).toBe(
      'Access Group must be a Sotion access group ID (a UUID such as ' +
        '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); "Premium Members" is not. Pick the group from ' +
        'the dropdown or map its ID from an earlier step.',
    );
    expect(failure(() => one.read(z, 'a, b'))).toMatch(/^Access Group must be Sotion IDs/);
    // A long value is quoted by its first 80 characters.
    expect(failure(() => one.read(z, `  ${'g'.repeat(200)}  `))).toContain(
      `); "${'g'.repeat(80)}… (200 characters)" is not.`,
    );
  });
});

describe('member()', () => {
  const who = member({ key: 'member', label: 'Member', helpText: 'Id or email.' });

  it('takes an id as it is and an email normalised', () => {
    expect(who.field).toEqual({
      key: 'member',
      label: 'Member',
      helpText: 'Id or email.',
      type: 'string',
      required: true,
      dynamic: 'member_choices.id.email',
      search: 'find_member.id',
    });
    expect(who.read(z, G.toUpperCase())).toEqual({ id: G });
    expect(who.read(z, ' Ada@Example.COM ')).toEqual({ email: 'ada@example.com' });
  });

  it('refuses anything else, naming the field', () => {
    expect(failure(() => who.read(z, 'Ada Lovelace'))).toBe(
      'Member must be a member\'s email or Sotion member ID; "Ada Lovelace" is neither (the email has no @).',
    );
    expect(failure(() => who.read(z, 'x'.repeat(200)))).toContain(
      `; "${'x'.repeat(80)}… (200 characters)" is neither`,
    );
    expect(failure(() => who.read(z, undefined))).toBe(
      "Member is required: enter the member's email (such as ada@example.com) or Sotion member ID.",
    );
  });
});

describe('emailField()', () => {
  const required = emailField({ key: 'email', label: 'Email', required: true, helpText: 'h' });
  const optional = emailField({ key: 'new_email', label: 'New Email' });

  it('declares the Zapier field, required or not', () => {
    expect(required.field).toEqual({
      key: 'email',
      label: 'Email',
      helpText: 'h',
      type: 'string',
      required: true,
    });
    expect(optional.field).toMatchObject({ key: 'new_email', type: 'string', required: false });
  });

  it('normalises; empty is nothing, or an error when required; a bad address names the field', () => {
    expect(required.read(z, '  Ada@Example.COM ')).toBe('ada@example.com');
    expect(optional.read(z, '')).toBeUndefined();
    expect(failure(() => required.read(z, ' '))).toBe(
      'Email is required: enter an email such as ada@example.com.',
    );
    expect(failure(() => optional.read(z, 'ada@'))).toBe(
      'New Email must be an email such as ada@example.com; "ada@" is not (nothing comes after the @).',
    );
  });
});

describe('readInputs()', () => {
  it('reads every declared field by its key, and fieldsOf lists the fields in order', () => {
    const fields = {
      name: text({ key: 'group_name', label: 'Name', required: true }),
      on: bool({ key: 'on', label: 'On' }),
    };
    expect(readInputs(z, { group_name: 'VIP', on: 'true', other: 1 }, fields)).toEqual({
      name: 'VIP',
      on: true,
    });
    expect(fieldsOf(fields.name, fields.on).map((f) => f.key)).toEqual(['group_name', 'on']);
  });
});
