import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "../logger.js";
import { createReadinessCheck, type ReadinessDeps } from "./health.js";
import { serveOnNode, type NodeEnv } from "./node-server.js";
import type { WebhookEnv } from "./webhook.js";

export interface HttpServerOptions {
  log: Logger;
  readiness: ReadinessDeps;
  /** Served at GET /metrics when given (METRICS=true). */
  metrics?: Registry | undefined;
  /** Webhook mode: the path of WEBHOOK_URL (as in the URL, percent-encoded) and its route (webhook.ts). */
  webhook?: { path: string; route: Hono<WebhookEnv> } | undefined;
}

export interface HttpServer {
  listen(port: number): Promise<AddressInfo>;
  /** The bound address once listening (PORT=0 picks a free port). */
  address(): AddressInfo | undefined;
  /** Stops accepting connections and waits up to `graceMs` for requests in progress. */
  close(graceMs: number): Promise<void>;
}

/**
 * Everything Telegram and the orchestrator ask, on one port:
 *   GET /healthz  200 while the process is up (liveness)
 *   GET /readyz   200 when the store is open, Telegram answers and updates are taken; 503 otherwise (JSON)
 *   GET /metrics  Prometheus text, when enabled
 *   POST <path>   Telegram's webhook, in webhook mode
 * A known path asked with another method is answered 405 (with Allow), anything else 404.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { log, metrics, webhook } = options;
  const checkReadiness = createReadinessCheck(options.readiness);
  const app = new Hono<NodeEnv>();

  app.use(methodNotAllowed({ app, onMethodNotAllowed: (c, allowed) => c.text("method not allowed", 405, { allow: allowed.join(", ") }) }));
  app.use(async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // A prober that gave up must not keep a Brainysoft ping waiting for it: the request's signal aborts when it hangs up.
  app.get("/readyz", async (c) => {
    const readiness = await checkReadiness(c.req.raw.signal);
    return c.json(readiness, readiness.ready ? 200 : 503);
  });
  if (metrics) app.get("/metrics", async (c) => c.body(await metrics.metrics(), 200, { "content-type": metrics.contentType }));
  // Hono matches the decoded path.
  if (webhook) app.route(decodeURI(webhook.path), webhook.route);
  app.notFound((c) => c.text("not found", 404));
  app.onError((error, c) => {
    log.error({ err: error, path: c.req.path }, "http request failed");
    return c.text("internal error", 500);
  });

  const server = serveOnNode(app);
  return {
    async listen(port) {
      const address = await server.listen(port);
      log.info({ port: address.port }, "http server listening");
      return address;
    },
    address: () => server.address(),
    close: (graceMs) => server.close(graceMs),
  };
}
