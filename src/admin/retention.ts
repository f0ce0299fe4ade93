/**
 * Personal data is kept only as long as the operator allows (RETENTION_DAYS): once at start and then
 * daily, events and finished leads older than that are deleted (pending leads are kept; see Store.purge).
 */
import type { Logger } from "../logger.js";
import type { Store } from "../store/types.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Retention {
  /** Purges now, then every `everyMs`. */
  start(): Promise<void>;
  stop(): void;
}

export function createRetention(deps: {
  store: Pick<Store, "purge">;
  retentionDays: number;
  log: Logger;
  now?: () => number;
  /** Default one day. */
  everyMs?: number;
}): Retention {
  const now = deps.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;

  async function purgeNow() {
    const olderThan = now() - deps.retentionDays * DAY_MS;
    const purged = await deps.store.purge(olderThan);
    deps.log.info({ ...purged, olderThan: new Date(olderThan).toISOString(), retentionDays: deps.retentionDays }, "retention purge");
    return purged;
  }

  const safely = () =>
    purgeNow().catch((error: unknown) => {
      deps.log.error({ err: error }, "retention purge failed");
    });

  return {
    async start() {
      await safely();
      timer = setInterval(() => void safely(), deps.everyMs ?? DAY_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
