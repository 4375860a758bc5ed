import { Readable } from 'node:stream';
import type { TargetStore } from '../../src/core/target';

/**
 * The contract every target store meets (local now, S3 later): one shared suite, run by
 * each backend's test file with a factory for a fresh, empty store.
 */
export function targetContract(name: string, makeStore: () => Promise<{ store: TargetStore; cleanup(): Promise<void> }>): void {
  describe(`${name} target contract`, () => {
    let store: TargetStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => cleanup());

    it('round-trips strings and bytes; exists follows writes and deletes', async () => {
      const t = store.target('chains/a/b/out.txt');
      expect(await t.exists()).toBe(false);
      await t.write('héllo\n');
      expect(await t.exists()).toBe(true);
      expect(await t.readText()).toBe('héllo\n');
      const bytes = new Uint8Array([0, 1, 2, 255]);
      await t.write(bytes);
      expect([...(await t.readBytes())]).toEqual([0, 1, 2, 255]);
      await t.delete();
      expect(await t.exists()).toBe(false);
      await t.delete(); // deleting what is not there is fine
    });

    it('streams in and out', async () => {
      const t = store.target('chains/s/out.txt');
      async function* gen() {
        for (let i = 0; i < 1000; i++) yield `line ${i}\n`;
      }
      await t.writeFrom(gen());
      const chunks: Buffer[] = [];
      for await (const c of t.createReadStream()) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString();
      expect(text.split('\n')).toHaveLength(1001);
      expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    });

    it('shows nothing until an open writer commits, and nothing after abort', async () => {
      const t = store.target('chains/w/out.txt');
      const w = t.open();
      w.write('part one ');
      await new Promise((r) => setTimeout(r, 20));
      expect(await t.exists()).toBe(false);
      w.write('part two');
      await w.commit();
      expect(await t.readText()).toBe('part one part two');
      const w2 = t.open();
      w2.write('replacement');
      await w2.abort();
      expect(await t.readText()).toBe('part one part two');
    });

    it('leaves the old content when a streamed write fails midway', async () => {
      const t = store.target('chains/f/out.txt');
      await t.write('old');
      const failing = new Readable({
        read() {
          this.push('new data');
          this.destroy(new Error('source broke'));
        },
      });
      await expect(t.writeFrom(failing)).rejects.toThrow('source broke');
      expect(await t.readText()).toBe('old');
    });

    it('lists every key under a folder, sorted, and none of a writer still open', async () => {
      for (const k of ['chains/t/c/T/h2/out.txt', 'chains/t/c/T/h1/log', 'chains/t/c/T/h1/out.txt', 'chains/t/c/U/h1/out.txt']) await store.target(k).write('x');
      const open = store.target('chains/t/c/T/h3/big.txt').open();
      open.write('half');
      expect(await store.list('chains/t/c/T')).toEqual(['chains/t/c/T/h1/log', 'chains/t/c/T/h1/out.txt', 'chains/t/c/T/h2/out.txt']);
      expect(await store.list('chains/t/c/T/h1')).toEqual(['chains/t/c/T/h1/log', 'chains/t/c/T/h1/out.txt']);
      expect(await store.list('chains/none')).toEqual([]);
      await open.abort();
    });

    it('checks many keys at once, in order', async () => {
      await store.target('chains/m/1').write('x');
      await store.target('chains/m/3').write('x');
      expect(await store.existsMany(['chains/m/1', 'chains/m/2', 'chains/m/3'])).toEqual([true, false, true]);
    });

    it.each(['../escape', '/abs/path', 'a/../../b', 'a//b', 'a\\b', ''])('refuses the unsafe key %j', (key) => {
      expect(() => store.target(key)).toThrow('unsafe target key');
    });
  });
}
