import { transcript } from '../../scripts/demo-parts';

/** What the transcript wrote to stdout, line by line, while `body` ran. */
const printed = (body: () => void): string[] => {
  const out: string[] = [];
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  try {
    body();
  } finally {
    write.mockRestore();
  }
  return out.join('').split('\n').slice(0, -1);
};

describe('transcript: parts that run side by side print in order', () => {
  it("holds a later part's lines until every part before it has ended", () => {
    const out = transcript(3);
    const [one, two, three] = [out.part(0), out.part(1), out.part(2)];
    const lines: string[][] = [];
    lines.push(printed(() => three.log('third')));
    lines.push(printed(() => two.log('second')));
    lines.push(printed(() => one.log('first')));
    lines.push(printed(() => two.end()));
    lines.push(printed(() => one.end()));
    lines.push(printed(() => three.log('third, later')));
    expect(lines).toEqual([[], [], ['first'], [], ['second', 'third'], ['third, later']]);
  });

  it('prints a step heading and a check, and counts failed checks', () => {
    const out = transcript(1);
    const part = out.part(0);
    const lines = printed(() => {
      part.step(4, 'New Access Group (poll)', 'no filter');
      part.check(true, 'newest group first');
      part.check(false, 'every group once');
      part.check(false, 'type filter');
    });
    expect(lines).toEqual([
      '',
      '4. New Access Group (poll)',
      '    in:  no filter',
      '    ✓ newest group first',
      '    ✗ every group once',
      '    ✗ type filter',
    ]);
    expect(out.failures()).toBe(2);
  });

  it('prints what every part holds when all are ended at once (after an error)', () => {
    const out = transcript(2);
    const lines = printed(() => {
      out.part(1).log('second');
      out.endAll();
    });
    expect(lines).toEqual(['second']);
  });
});
