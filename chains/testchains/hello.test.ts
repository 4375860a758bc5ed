/** The hello chain's own test, with nectar's test kit: what would run, what ran, what was written. */
import { testKit } from 'nectar/testing';
import { HelloTask, ShoutTask } from './hello_chain';

describe('hello chain', () => {
  const kit = testKit();
  afterAll(() => kit.close());

  it('shouts the greeting, running HelloTask first, then nothing the second time', async () => {
    const shout = new ShoutTask({ name: 'ada' });
    expect((await kit.plan(shout)).run).toEqual(['HelloTask(name=ada)', 'ShoutTask(name=ada)']);

    const run = await kit.runOk(shout);
    expect(run.ran).toEqual(['HelloTask(name=ada)', 'ShoutTask(name=ada)']);
    expect(await run.output.readText()).toBe('HELLO ADA\n');
    expect(await kit.output(new HelloTask({ name: 'ada' })).readText()).toBe('hello ada\n');
    expect(await kit.log(new HelloTask({ name: 'ada' }))).toContain('greeting ada');

    expect((await kit.plan(shout)).run).toEqual([]);
    expect((await kit.runOk(shout)).ran).toEqual([]);
  });

  it('shouts whatever HelloTask wrote (a seeded fixture)', async () => {
    await kit.seed(new HelloTask({ name: 'bob' }), 'good evening bob\n');
    const run = await kit.runOk(new ShoutTask({ name: 'bob' }));
    expect(run.ran).toEqual(['ShoutTask(name=bob)']);
    expect(await run.output.readText()).toBe('GOOD EVENING BOB\n');
  });
});
