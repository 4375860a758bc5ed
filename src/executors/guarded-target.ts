import type { AttemptAbort } from '../core/executor';
import type { AtomicWriter, Target, WriteSource } from '../core/target';

/**
 * A task's output target for one attempt: once the attempt is aborted (timeout, cancel) it
 * refuses writes, and a write that was already under way is undone, so a stopped task can
 * never leave an output behind.
 */
export class GuardedTarget implements Target {
  /** True once a write through this target completed (so nobody needs to stat it). */
  written = false;

  constructor(
    private readonly inner: Target,
    private readonly abort: AttemptAbort,
  ) {}

  get key(): string {
    return this.inner.key;
  }
  exists(): Promise<boolean> {
    return this.inner.exists();
  }
  readText(): Promise<string> {
    return this.inner.readText();
  }
  readBytes(): Promise<Buffer> {
    return this.inner.readBytes();
  }
  createReadStream(): ReturnType<Target['createReadStream']> {
    return this.inner.createReadStream();
  }
  write(data: string | Uint8Array): Promise<void> {
    return this.guard(() => this.inner.write(data));
  }

  writeFrom(source: WriteSource): Promise<void> {
    return this.guard(() => this.inner.writeFrom(source));
  }

  open(): AtomicWriter {
    this.throwIfAborted();
    const w = this.inner.open();
    const commit = w.commit.bind(w);
    w.commit = () => this.guard(commit);
    return w;
  }

  private throwIfAborted(): void {
    const reason = this.abort.reason;
    if (reason) throw reason;
  }

  private async guard(write: () => Promise<void>): Promise<void> {
    this.throwIfAborted();
    await write();
    if (this.abort.reason) {
      await this.inner.delete();
      this.throwIfAborted();
    }
    this.written = true;
  }

  async delete(): Promise<void> {
    this.written = false;
    await this.inner.delete();
  }
}
