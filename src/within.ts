/**
 * True when `promise` settled (resolved or rejected) within `ms`; false when the time ran out first.
 * The promise goes on either way; its rejection counts as handled here, so a late failure is not an
 * unhandled rejection. Callers that need the value await the same promise once this returned true.
 */
export async function within(promise: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  const settled = Promise.resolve(promise).then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
