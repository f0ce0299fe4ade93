import { existsSync } from "node:fs";
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger, secretsOf } from "./logger.js";
import { StoreOpenError } from "./store/sqlite.js";

/** Start-up problems an operator can fix get one readable line each, no stack trace, and exit code 1. */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty, secrets: secretsOf(config) });
  const app = createApp({ config, log });

  let signals = 0;
  const shutdown = (signal: string) => {
    // A second signal means "now": a lead in flight is in the store already and is delivered after the next start.
    if (++signals > 1) {
      log.warn({ signal }, "second signal: exiting at once");
      process.exit(1);
    }
    log.info({ signal }, "shutting down");
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  await app.start();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StoreOpenError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
