import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import { createReadinessCheck, type ReadinessDeps } from "./health.js";
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from "./metrics.js";
import { send, TEXT } from "./respond.js";
import type { RouteHandler } from "./webhook.js";

export interface HttpServerOptions {
  log: Logger;
  readiness: ReadinessDeps;
  /** Served at GET /metrics when given (METRICS=true). */
  metrics?: MetricsRegistry | undefined;
  /** Webhook mode: the path of WEBHOOK_URL and its POST handler. */
  webhook?: { path: string; handler: RouteHandler } | undefined;
}

export interface HttpServer {
  listen(port: number): Promise<AddressInfo>;
  /** The bound address once listening (PORT=0 picks a free port). */
  address(): AddressInfo | undefined;
  /** Stops accepting connections and waits up to `graceMs` for requests in progress. */
  close(graceMs: number): Promise<void>;
}

/**
 * One small node:http server for everything Telegram and the orchestrator ask:
 *   GET /healthz  200 while the process is up (liveness)
 *   GET /readyz   200 when the store is open, Telegram answers and updates are taken; 503 otherwise (JSON)
 *   GET /metrics  Prometheus text, when enabled
 *   POST <path>   Telegram's webhook, in webhook mode
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { log } = options;
  const checkReadiness = createReadinessCheck(options.readiness);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    if (options.webhook && path === options.webhook.path) {
      if (method !== "POST") return send(res, 405, TEXT, "method not allowed", { allow: "POST" });
      return options.webhook.handler(req, res);
    }
    const get = method === "GET" || method === "HEAD";
    if (path === "/healthz" && get) return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
    if (path === "/readyz" && get) {
      // A prober that gave up must not keep a Brainysoft ping waiting for it.
      const gone = new AbortController();
      res.once("close", () => {
        if (!res.writableFinished) gone.abort();
      });
      const readiness = await checkReadiness(gone.signal);
      return send(res, readiness.ready ? 200 : 503, "application/json", JSON.stringify(readiness));
    }
    if (path === "/metrics" && get && options.metrics) return send(res, 200, METRICS_CONTENT_TYPE, await options.metrics.render());
    send(res, 404, TEXT, "not found");
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, path: req.url?.split("?")[0] }, "http request failed");
      send(res, 500, TEXT, "internal error");
    });
  });
  // Slow or idle clients must not hold a stopping process open for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    listen(port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          log.info({ port: address.port }, "http server listening");
          resolve(address);
        });
      });
    },
    address: () => (server.listening ? (server.address() as AddressInfo) : undefined),
    close(graceMs) {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
