import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";

/** A Hono app on Node's HTTP server, with the listen and graceful close every surface here needs. */
export interface NodeServer {
  /** Resolves once listening; rejects with the listen error (EADDRINUSE); may be called again after one. */
  listen(port: number, hostname?: string): Promise<AddressInfo>;
  /** The bound address once listening (port 0 picks a free port). */
  address(): AddressInfo | undefined;
  /** Stops accepting connections and waits up to `graceMs` for requests in progress, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export type NodeEnv = { Bindings: HttpBindings };

export function serveOnNode<E extends NodeEnv>(app: Hono<E>): NodeServer {
  const server = createAdaptorServer({
    fetch: app.fetch,
    // Not the process's global Request and Response: the app shares its process with other code (and tests).
    overrideGlobalObjects: false,
    // Slow or idle clients must not hold a stopping process open for long.
    serverOptions: { requestTimeout: 30_000, headersTimeout: 10_000 },
  });
  // createAdaptorServer makes an HTTP/1.1 server unless told to make another kind.
  if (!(server instanceof Server)) throw new Error("expected a node:http server");
  const bound = (): AddressInfo | undefined => {
    const address = server.address();
    return address !== null && typeof address === "object" ? address : undefined;
  };

  return {
    listen(port, hostname) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, hostname, () => {
          server.off("error", reject);
          const address = bound();
          if (address) resolve(address);
          else reject(new Error("the server is listening on something other than a TCP port"));
        });
      });
    },
    address: () => (server.listening ? bound() : undefined),
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
