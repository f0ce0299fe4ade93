import { readFile } from "node:fs/promises";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { serveOnNode, type NodeEnv, type NodeServer } from "../http/node-server.js";
import type { Store } from "../store/types.js";
import { handleControlRequest } from "../fakes/fake-telegram-control.js";
import type { FakeTelegram } from "../fakes/fake-telegram.js";
import type { CommandsAnswer, CrmAnswer, EventsAnswer, InfoAnswer } from "./answers.js";
import { DEMO_FAULTS, isDemoFault, type CrmView } from "./crm-view.js";
import { bundlePage, type PageBundle } from "./page-bundle.js";
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
 *   GET  /page.js                 its script, src/demo/page/ bundled
 *   GET  /demo/info               the bot's name and the personas
 *   GET  /demo/crm                what the mock Brainysoft received, the outage switch, the bot's queue
 *   POST /demo/crm/fault          { fault: none | down | slow | bad-credentials }
 *   GET  /demo/events             the admin event journal, newest first
 *   GET  /demo/commands?chat=&lang=   the command menu the bot set for that chat
 *   the user's side of the fake Telegram's control routes (see src/fakes/fake-telegram-control.ts):
 *   POST /control/text, /control/contact, /control/callback; GET /control/chats/:id/messages
 * The JSON answers are typed in answers.ts, which the page reads them with.
 */
export async function startDemoServer(deps: DemoServerDeps, options: { port: number }): Promise<DemoServer> {
  const page = await bundlePage();
  let allowedHosts = new Set<string>();
  const server = serveOnNode(demoRoutes(deps, page, (host) => allowedHosts.has(host)));
  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    await page.dispose();
    throw error;
  }
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      // The page holds a long poll open; it would keep the server up for its whole wait.
      await server.close(0);
      await page.dispose();
    },
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

const SECURITY_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
/** A fault switch is a few bytes of JSON. */
const MAX_BODY_BYTES = 16 * 1024;

type Status = 200 | 400 | 403 | 404 | 413 | 415 | 500;
const sendJson = (c: Context, status: Status, payload: Record<string, unknown>) => c.json(payload, status, { "cache-control": "no-store" });
/** A route's answer, of the type the page reads it as. */
const answer = <T extends object>(c: Context, payload: T) => sendJson(c, 200, { ok: true, ...payload });

function demoRoutes(deps: DemoServerDeps, page: PageBundle, isOwnHost: (host: string) => boolean): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  // Only this machine's own pages: a web site the person visits cannot drive the sandbox through a
  // renamed host (DNS rebinding) or a cross-site form (JSON bodies need a CORS preflight nobody answers).
  app.use(async (c, next) => {
    if (!isOwnHost(c.req.header("host") ?? "")) return sendJson(c, 403, { ok: false, error: "unknown host" });
    if (c.req.method === "POST" && !(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return sendJson(c, 415, { ok: false, error: "send JSON" });
    }
    return next();
  });

  // The user's side of the fake Telegram, answered by the fake's own control routes on Node's request and response.
  const control = async (c: Context<NodeEnv>) => {
    await handleControlRequest(deps.telegram, c.env.incoming, c.env.outgoing, new URL(c.req.url));
    return RESPONSE_ALREADY_SENT;
  };
  app.post("/control/:kind{text|contact|callback}", control);
  app.get("/control/chats/:chat{-?[0-9]+}/messages", control);

  app.get("/", (c) => pageAnswer(c, page));
  app.get("/page.js", (c) => c.body(page.script, 200, { "content-type": "text/javascript; charset=utf-8", ...SECURITY_HEADERS }));
  app.get("/demo/info", (c) =>
    answer<InfoAnswer>(c, {
      bot: { first_name: deps.telegram.botUser.first_name, username: deps.telegram.botUser.username },
      personas: deps.personas,
      faults: Object.keys(DEMO_FAULTS).filter(isDemoFault),
    }),
  );
  app.get("/demo/crm", async (c) =>
    answer<CrmAnswer>(c, { fault: deps.crm.fault, leads: deps.crm.rows(), queue: await deps.store.leads.countByState() }),
  );
  const tooLarge = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => sendJson(c, 413, { ok: false, error: "too large" }) });
  app.post("/demo/crm/fault", tooLarge, async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const fault = body !== null && typeof body === "object" && "fault" in body ? body.fault : undefined;
    if (!isDemoFault(fault)) return sendJson(c, 400, { ok: false, error: `fault must be one of ${Object.keys(DEMO_FAULTS).join(", ")}` });
    deps.crm.setFault(fault);
    return sendJson(c, 200, { ok: true, fault: deps.crm.fault });
  });
  app.get("/demo/events", async (c) => answer<EventsAnswer>(c, { events: await deps.store.events.recent(30, 0) }));
  app.get("/demo/commands", (c) => answer<CommandsAnswer>(c, { commands: commandMenu(deps.telegram, new URL(c.req.url).searchParams) }));

  app.notFound((c) => sendJson(c, 404, { ok: false, error: `no route ${c.req.method} ${c.req.path}` }));
  app.onError((error, c) => sendJson(c, 500, { ok: false, error: error.message }));
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
 * The HTML is read and the script bundled again on every load, so a change to the page shows on reload.
 * Only the page's own bundled script runs: bot texts are rendered as DOM nodes, but a slip there still
 * could not execute anything.
 */
async function pageAnswer(c: Context, page: PageBundle): Promise<Response> {
  try {
    await page.rebuild();
  } catch (error) {
    return c.text(error instanceof Error ? error.message : String(error), 500, SECURITY_HEADERS);
  }
  const html = await readFile(new URL("./page.html", import.meta.url), "utf8");
  return c.html(html, 200, {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'unsafe-inline'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    ...SECURITY_HEADERS,
  });
}
