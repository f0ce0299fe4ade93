import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Store } from "../store/types.js";
import { handleControlRequest } from "../../test/harness/fake-telegram-control.js";
import type { FakeTelegram } from "../../test/harness/fake-telegram.js";
import { serveOnNode, type NodeEnv, type NodeServer } from "../http/node-server.js";
import { DEMO_FAULTS, isDemoFault, type CrmView } from "./crm-view.js";
import type { Persona } from "./personas.js";

export interface DemoServerDeps {
  telegram: FakeTelegram;
  crm: CrmView;
  store: Pick<Store, "events" | "leads">;
  personas: readonly Persona[];
}

export interface DemoServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The sandbox page and what it talks to, on 127.0.0.1 only:
 *   GET  /                        the chat page (src/demo/page.html)
 *   GET  /demo/info               the bot's name and the personas
 *   GET  /demo/crm                what the mock Brainysoft received, the outage switch, the bot's queue
 *   POST /demo/crm/fault          { fault: none | down | slow | bad-credentials }
 *   GET  /demo/events             the admin event journal, newest first
 *   GET  /demo/commands?chat=&lang=   the command menu the bot set for that chat
 *   the user's side of the fake Telegram's control routes (see fake-telegram-control.ts):
 *   POST /control/text, /control/contact, /control/callback; GET /control/chats/:id/messages
 */
export async function startDemoServer(deps: DemoServerDeps, options: { port: number }): Promise<DemoServer> {
  let allowedHosts = new Set<string>();
  const server = serveOnNode(demoRoutes(deps, (host) => allowedHosts.has(host)));
  const port = await listen(server, options.port);
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    // The page holds a long poll open; it would keep the server up for its whole wait.
    close: () => server.close(0),
  };
}

/** The port asked for, or any free one when it is taken (another demo, or whatever else uses 3000). */
async function listen(server: NodeServer, port: number): Promise<number> {
  try {
    return (await server.listen(port, "127.0.0.1")).port;
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "EADDRINUSE") || port === 0) throw error;
    return (await server.listen(0, "127.0.0.1")).port;
  }
}

const json = (c: Context, status: 200 | 400 | 403 | 404 | 413 | 415 | 500, payload: Record<string, unknown>) =>
  c.json(payload, status, { "cache-control": "no-store" });

function demoRoutes(deps: DemoServerDeps, isOwnHost: (host: string) => boolean): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  // Only this machine's own pages: a web site the person visits cannot drive the sandbox through a
  // renamed host (DNS rebinding) or a cross-site form (JSON bodies need a CORS preflight nobody answers).
  app.use(async (c, next) => {
    if (!isOwnHost(c.req.header("host") ?? "")) return json(c, 403, { ok: false, error: "unknown host" });
    if (c.req.method === "POST" && !(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return json(c, 415, { ok: false, error: "send JSON" });
    }
    return next();
  });

  // The user's side of the fake Telegram, answered by the fake's own control routes (on Node's request and response).
  const control = async (c: Context<NodeEnv>) => {
    await handleControlRequest(deps.telegram, c.env.incoming, c.env.outgoing, new URL(c.req.url));
    return RESPONSE_ALREADY_SENT;
  };
  app.post("/control/:kind{text|contact|callback}", control);
  app.get("/control/chats/:chat{-?[0-9]+}/messages", control);

  app.get("/", async () => pageResponse());
  app.get("/demo/info", (c) =>
    json(c, 200, {
      ok: true,
      bot: { first_name: deps.telegram.botUser.first_name, username: deps.telegram.botUser.username },
      personas: deps.personas,
      faults: Object.keys(DEMO_FAULTS),
    }),
  );
  app.get("/demo/crm", async (c) =>
    json(c, 200, { ok: true, fault: deps.crm.fault, leads: deps.crm.rows(), queue: await deps.store.leads.countByState() }),
  );
  app.post("/demo/crm/fault", bodyLimit({ maxSize: 16 * 1024, onError: (c) => json(c, 413, { ok: false, error: "too large" }) }), async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const fault = body !== null && typeof body === "object" && "fault" in body ? body.fault : undefined;
    if (!isDemoFault(fault)) return json(c, 400, { ok: false, error: `fault must be one of ${Object.keys(DEMO_FAULTS).join(", ")}` });
    deps.crm.setFault(fault);
    return json(c, 200, { ok: true, fault: deps.crm.fault });
  });
  app.get("/demo/events", async (c) => json(c, 200, { ok: true, events: await deps.store.events.recent(30, 0) }));
  app.get("/demo/commands", (c) => json(c, 200, { ok: true, commands: commandMenu(deps.telegram, new URL(c.req.url).searchParams) }));

  app.notFound((c) => json(c, 404, { ok: false, error: `no route ${c.req.method} ${c.req.path}` }));
  app.onError((error, c) => json(c, 500, { ok: false, error: error.message }));
  return app;
}

/** The menu a private chat shows: the narrowest scope the bot set commands for, in the person's language first. */
function commandMenu(telegram: FakeTelegram, query: URLSearchParams): { command: string; description: string }[] {
  const chatId = Number(query.get("chat"));
  const language = query.get("lang") ?? "";
  const scopes: Record<string, unknown>[] = [{ type: "chat", chat_id: chatId }, { type: "all_private_chats" }, { type: "default" }];
  for (const scope of scopes) {
    for (const code of language ? [language, ""] : [""]) {
      const commands = telegram.commands(scope, code);
      if (commands.length > 0) return commands;
    }
  }
  return [];
}

/**
 * Read on every request, so a change to the page shows on reload. The page's one inline script is
 * allowed by its hash and nothing else runs: bot texts are rendered as DOM nodes, but a slip there
 * still could not execute anything.
 */
async function pageResponse(): Promise<Response> {
  const html = await readFile(new URL("./page.html", import.meta.url), "utf8");
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
  const hash = createHash("sha256").update(script).digest("base64");
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": [
        "default-src 'none'",
        `script-src 'sha256-${hash}'`,
        "style-src 'unsafe-inline'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
      "x-content-type-options": "nosniff",
    },
  });
}
