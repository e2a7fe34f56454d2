import { emailProblem, normalizeEmail, parseAddresses, splitEmails } from '../../src/api/emails';

describe('normalizeEmail: the same person in different bytes is one email', () => {
  it('full-width letters and @ read as their plain forms (NFKC), then lowercased', () => {
    expect(normalizeEmail(' ＡＤＡ@example.com ')).toBe('ada@example.com');
    expect(normalizeEmail('ada＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('ada@example.com');
  });

  it('josé with a combining accent and with the precomposed letter are one email, and a valid one', () => {
    const composed = normalizeEmail('jos\u00e9@example.com');
    const decomposed = normalizeEmail('jose\u0301@example.com');
    expect(decomposed).toBe(composed);
    expect(composed).toBe('jos\u00e9@example.com');
    expect(emailProblem(decomposed)).toBeUndefined();
  });
});

describe('parseAddresses', () => {
  it('reads `Name <address>` as one address with its name (before: two invalid entries)', () => {
    expect(parseAddresses('Ada Lovelace <ada@example.com>')).toEqual([
      { address: 'ada@example.com', name: 'Ada Lovelace' },
    ]);
    expect(
      parseAddresses('"Lovelace, Ada" <ada@example.com>, grace@example.com; Bob <bob@x.io>'),
    ).toEqual([
      { address: 'ada@example.com', name: 'Lovelace, Ada' },
      { address: 'grace@example.com' },
      { address: 'bob@x.io', name: 'Bob' },
    ]);
  });

  it('keeps plain lists as they were: commas, semicolons, whitespace, bare <address>', () => {
    expect(splitEmails('a@x.io, b@x.io;c@x.io\n<d@x.io>\te@x.io f@x.io>')).toEqual([
      'a@x.io',
      'b@x.io',
      'c@x.io',
      'd@x.io',
      'e@x.io',
      'f@x.io',
    ]);
    // An address before a named one on the same line is its own address.
    expect(parseAddresses('a@x.io Ada <ada@x.io>')).toEqual([
      { address: 'a@x.io' },
      { address: 'ada@x.io', name: 'Ada' },
    ]);
    expect(parseAddresses('  ')).toEqual([]);
    expect(parseAddresses('<ada@x.io')).toEqual([{ address: 'ada@x.io' }]);
    expect(parseAddresses('Nobody <>')).toEqual([]);
  });

  it('a quoted local part is one address, and a valid one', () => {
    expect(splitEmails('"john doe"@x.com, "a,b"@x.com')).toEqual([
      '"john doe"@x.com',
      '"a,b"@x.com',
    ]);
    expect(emailProblem('"john doe"@x.com')).toBeUndefined();
    expect(emailProblem('"john@doe"@x.com')).toBeUndefined();
    expect(emailProblem('"unclosed@x.com')).toBe(
      'the part before the @ has characters an email cannot have',
    );
    expect(emailProblem('a"b"@x.com')).toBe(
      'the part before the @ has characters an email cannot have',
    );
  });
});

describe('parseAddresses: edges', () => {
  it('a comma, semicolon or line break ends a name: the word before it is its own entry', () => {
    for (const sep of [',', ';', '\n', '\r']) {
      expect(parseAddresses(`grace${sep}<ada@x.io>`)).toEqual([
        { address: 'grace' },
        { address: 'ada@x.io' },
      ]);
    }
  });

  it('reads names and addresses written tightly or loosely', () => {
    expect(parseAddresses('Ada<ada@x.io>')).toEqual([{ address: 'ada@x.io', name: 'Ada' }]);
    expect(parseAddresses('Ada><ada@x.io>')).toEqual([{ address: 'ada@x.io', name: 'Ada' }]);
    expect(parseAddresses('<  ada@x.io  >')).toEqual([{ address: 'ada@x.io' }]);
    expect(parseAddresses('" Ada Lovelace " <ada@x.io>')).toEqual([
      { address: 'ada@x.io', name: 'Ada Lovelace' },
    ]);
    // Only quotes around the whole name are taken off.
    expect(parseAddresses('"Ada" Lovelace <a@x.io>, Ada "Lovelace" <b@x.io>')).toEqual([
      { address: 'a@x.io', name: '"Ada" Lovelace' },
      { address: 'b@x.io', name: 'Ada "Lovelace"' },
    ]);
    // Every leading word with an @ is an address of its own.
    expect(parseAddresses('a@x.io b@x.io Ada <ada@x.io>')).toEqual([
      { address: 'a@x.io' },
      { address: 'b@x.io' },
      { address: 'ada@x.io', name: 'Ada' },
    ]);
  });

  it('stray ">" only at the end of a word goes; an unclosed quote runs to the end', () => {
    expect(splitEmails('f@x.io>> a>b@x.io >')).toEqual(['f@x.io', 'a>b@x.io']);
    expect(splitEmails('"unclosed@x.com')).toEqual(['"unclosed@x.com']);
  });
});

describe('emailProblem: limits', () => {
  it('takes 64 characters before the @ and 63 per domain label, not one more', () => {
    expect(emailProblem(`${'a'.repeat(64)}@x.io`)).toBeUndefined();
    expect(emailProblem(`${'a'.repeat(65)}@x.io`)).toBe(
      'the part before the @ is longer than 64 characters',
    );
    expect(emailProblem(`a@${'b'.repeat(63)}.io`)).toBeUndefined();
    expect(emailProblem(`a@${'b'.repeat(64)}.io`)).toBe(
      `the domain "${'b'.repeat(64)}.io" is not a valid domain name`,
    );
  });

  it('refuses a dot at either end of the part before the @, and an all-digit ending only', () => {
    expect(emailProblem('ada.@x.io')).toBe(
      'the part before the @ has characters an email cannot have',
    );
    expect(emailProblem('.ada@x.io')).toBe(
      'the part before the @ has characters an email cannot have',
    );
    expect(emailProblem('ada@x.a1')).toBeUndefined();
    expect(emailProblem('ada@x.1a')).toBeUndefined();
    expect(emailProblem('ada@x.12')).toBe('the domain "x.12" has no valid ending');
  });
});

describe('emailProblem: length and @ edges', () => {
  it('takes an email of exactly 254 characters, not one of 255', () => {
    const longest = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(longest).toHaveLength(254);
    expect(emailProblem(longest)).toBeUndefined();
    expect(emailProblem(`${longest}d`)).toBe('the email is longer than 254 characters');
  });

  it('a quoted part after the first @ does not hide that @', () => {
    expect(emailProblem('a@"bcd"@x.io')).toBe('the email has more than one @');
    expect(emailProblem('"a@b"@x.io')).toBeUndefined();
  });
});
