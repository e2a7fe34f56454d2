import { emailProblem } from '../../src/api/emails';

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
