import { get } from 'node:http';
import nock from 'nock';
import { useFastClock } from './fast-clock';

useFastClock();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the fast clock', () => {
  it('skips a wait of a minute, and the clock says a minute passed', async () => {
    const started = Date.now();
    await sleep(60_000);
    expect(Date.now() - started).toBe(60_000);
  });

  it('fires timers in the order and at the moments they were set for', async () => {
    const started = Date.now();
    const fired: Array<[string, number]> = [];
    const at = (name: string, ms: number) =>
      sleep(ms).then(() => fired.push([name, Date.now() - started]));
    await Promise.all([at('30 s', 30_000), at('10 s', 10_000), at('20 s', 20_000)]);
    expect(fired).toEqual([
      ['10 s', 10_000],
      ['20 s', 20_000],
      ['30 s', 30_000],
    ]);
  });

  it('moves an interval on as often as it is due', async () => {
    const started = Date.now();
    const ticks: number[] = [];
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        ticks.push(Date.now() - started);
        if (ticks.length === 3) {
          clearInterval(timer);
          done();
        }
      }, 5_000);
    });
    expect(ticks).toEqual([5_000, 10_000, 15_000]);
  });

  it('lets the code a timer wakes run before it moves on to the next timer', async () => {
    let late = false;
    const far = setTimeout(() => (late = true), 10_000);
    // Short waits, some due on a turn of the driver that finds the loop idle since the last.
    for (let ms = 1; ms <= 30; ms += 1) await sleep(ms);
    clearTimeout(far);
    expect(late).toBe(false);
  });

  it('does not skip past a request in flight: a slow answer (a real wait) beats a later timer', async () => {
    nock.disableNetConnect();
    nock('http://slow.example').get('/').delay(300).reply(200, 'answer');
    try {
      const answer = new Promise<string>((resolve, reject) => {
        get('http://slow.example/', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(body));
        }).on('error', reject);
      });
      // Skipped to while the answer is on its way, this 5 s timer would win the race.
      const timeout = sleep(5_000).then(() => 'timeout');
      expect(await Promise.race([answer, timeout])).toBe('answer');
    } finally {
      nock.cleanAll();
    }
  });
});
