/**
 * Updates taken from Telegram and not yet finished, by update_id: what a graceful stop waits for,
 * and what decides which updates it may confirm.
 */
export interface InFlight {
  add(updateId: number): void;
  done(updateId: number): void;
  readonly size: number;
  /** The lowest unfinished update_id, if any. */
  lowest(): number | undefined;
  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function createInFlight(): InFlight {
  // A count per id: Telegram can send the same update again while the first copy is still running.
  const counts = new Map<number, number>();
  let size = 0;
  const idleWaiters = new Set<() => void>();

  return {
    add(updateId) {
      counts.set(updateId, (counts.get(updateId) ?? 0) + 1);
      size++;
    },
    done(updateId) {
      const count = counts.get(updateId);
      if (count === undefined) return;
      if (count <= 1) counts.delete(updateId);
      else counts.set(updateId, count - 1);
      if (--size === 0) for (const wake of idleWaiters) wake();
    },
    get size() {
      return size;
    },
    lowest() {
      let lowest: number | undefined;
      for (const id of counts.keys()) if (lowest === undefined || id < lowest) lowest = id;
      return lowest;
    },
    idle(timeoutMs) {
      if (size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const finish = (result: boolean) => {
          clearTimeout(timer);
          idleWaiters.delete(wake);
          resolve(result);
        };
        const wake = () => finish(true);
        const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
        idleWaiters.add(wake);
      });
    },
  };
}
