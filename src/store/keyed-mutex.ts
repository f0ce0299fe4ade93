/** Callers with the same key take turns, in arrival order; different keys run side by side. */
export interface KeyedMutex {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  // The tail of each key's queue; removed when the last caller is done, so idle keys cost nothing.
  const tails = new Map<string, Promise<void>>();
  return {
    async run(key, fn) {
      const previous = tails.get(key) ?? Promise.resolve();
      let done: () => void = () => {};
      const mine = new Promise<void>((resolve) => (done = resolve));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      try {
        await previous;
        return await fn();
      } finally {
        done();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
