import { emailProblem, parseAddresses, splitEmails } from '../../src/api/emails';

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
