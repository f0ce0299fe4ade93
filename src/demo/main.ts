import pretty from "pino-pretty";
import { ConfigError } from "../config.js";
import { startSandbox } from "./sandbox.js";

/** `npm run demo`: the whole bot on this machine, no Telegram token and no Brainysoft account. */
async function main(): Promise<void> {
  const port = demoPort(process.env.DEMO_PORT);
  // Log lines go to stderr, readable; stdout carries only the address to open.
  const logDestination = pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: "pid,hostname" });
  const sandbox = await startSandbox({ port, env: process.env, logDestination });

  // One Ctrl-C reaches this process several times: from the terminal, and forwarded by npm and tsx.
  // Only a signal well after the first one is someone pressing again because stopping hangs.
  let firstSignalAt: number | undefined;
  const shutdown = () => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt > 2_000) process.exit(1);
      return;
    }
    firstSignalAt = Date.now();
    process.stdout.write("\nStopping the sandbox…\n");
    sandbox.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  process.stdout.write(
    [
      "",
      "The lead bot sandbox is running: the real bot, a fake Telegram and a mock Brainysoft, all on this machine.",
      "",
      `  Open ${sandbox.url}`,
      "",
      "Be a customer, an agent or an admin; switch Brainysoft off and on in the right-hand panel.",
      "Press Ctrl-C to stop (everything it started stops, its temporary data is deleted).",
      "",
    ].join("\n"),
  );
}

function demoPort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 3000;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535) throw new ConfigError([`DEMO_PORT must be a port number (0 to 65535), not "${value}"`]);
  return port;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : `The sandbox could not start: ${error instanceof Error ? error.message : String(error)}`}\n`,
  );
  process.exit(1);
});
