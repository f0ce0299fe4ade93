import { existsSync } from "node:fs";
import { createApp } from "./app.js";
import { ConfigError, loadConfig, secretsOf } from "./config.js";
import { createLogger } from "./logger.js";
import { stopOnSignals } from "./runtime/stop-signals.js";
import { StoreOpenError } from "./store/sqlite.js";

/** Start-up problems an operator can fix get one readable line each, no stack trace, and exit code 1. */
async function main(): Promise<void> {
  // Set by npm for the scripts it runs; read before .env can add anything.
  const startedByNpm = process.env.npm_lifecycle_event !== undefined;
  if (existsSync(".env")) process.loadEnvFile(".env");
  const config = loadConfig(process.env);
  const pretty = config.logPretty ? (await import("pino-pretty")).default : undefined;
  const log = createLogger({ level: config.logLevel, pretty, secrets: secretsOf(config) });
  const app = createApp({ config, log });

  stopOnSignals({
    stop: () => app.stop(),
    exit: (code) => process.exit(code),
    log,
    signals: process,
    // Under `npm start` the bot must not outlive npm (see stop-signals.ts); elsewhere (node as PID 1 in a
    // container, systemd, nohup) the parent is the supervisor or deliberately gone, and is not watched.
    parentPid: startedByNpm ? () => process.ppid : undefined,
  });
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
