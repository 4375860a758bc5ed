/**
 * Waits for `p` at most `ms`: true if it settled (either way) in time, false if the time ran
 * out first. The timer is cleared as soon as `p` settles, so a bounded wait never keeps a
 * process alive. For shutdown paths, where a dependency that is down (Redis, S3) must not turn
 * a stop into a hang.
 */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
