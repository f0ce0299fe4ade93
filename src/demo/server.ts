import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
  const server = createServer((req, res) => {
    handle(deps, page, allowedHosts, req, res).catch((error: unknown) => {
      sendJson(res, 500, { ok: false, error: error instanceof Error ? error.message : String(error) });
    });
  });
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The page holds a long poll open; it would keep the server up for its whole wait.
        server.closeAllConnections();
      });
      await page.dispose();
    },
  };
}

/** The port asked for, or any free one when it is taken (another demo, or whatever else uses 3000). */
async function listen(server: Server, port: number): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once("error", onError);
      server.listen(p, "127.0.0.1", () => {
        server.off("error", onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw error;
    return attempt(0);
  }
}

const CONTROL_ROUTES = /^\/control\/(?:(?:text|contact|callback)|chats\/-?\d+\/messages)$/;

async function handle(deps: DemoServerDeps, page: PageBundle, allowedHosts: Set<string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Only this machine's own pages: a web site the person visits cannot drive the sandbox through a
  // renamed host (DNS rebinding) or a cross-site form (JSON bodies need a CORS preflight nobody answers).
  if (!allowedHosts.has(req.headers.host ?? "")) return sendJson(res, 403, { ok: false, error: "unknown host" });
  if (req.method === "POST" && !(req.headers["content-type"] ?? "").startsWith("application/json")) {
    return sendJson(res, 415, { ok: false, error: "send JSON" });
  }
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const route = `${req.method ?? "GET"} ${url.pathname}`;

  if (CONTROL_ROUTES.test(url.pathname)) {
    const userSide = url.pathname.includes("/chats/") ? req.method === "GET" : req.method === "POST";
    if (userSide) return handleControlRequest(deps.telegram, req, res, url);
  }
  switch (route) {
    case "GET /":
      return sendPage(res, page);
    case "GET /page.js":
      return sendScript(res, page.script);
    case "GET /demo/info":
      return answer<InfoAnswer>(res, {
        bot: { first_name: deps.telegram.botUser.first_name, username: deps.telegram.botUser.username },
        personas: deps.personas,
        faults: Object.keys(DEMO_FAULTS).filter(isDemoFault),
      });
    case "GET /demo/crm":
      return answer<CrmAnswer>(res, { fault: deps.crm.fault, leads: deps.crm.rows(), queue: await deps.store.leads.countByState() });
    case "POST /demo/crm/fault": {
      const body = await readJson(req);
      if (!isDemoFault(body?.fault)) {
        return sendJson(res, 400, { ok: false, error: `fault must be one of ${Object.keys(DEMO_FAULTS).join(", ")}` });
      }
      deps.crm.setFault(body.fault);
      return sendJson(res, 200, { ok: true, fault: deps.crm.fault });
    }
    case "GET /demo/events":
      return answer<EventsAnswer>(res, { events: await deps.store.events.recent(30, 0) });
    case "GET /demo/commands":
      return answer<CommandsAnswer>(res, { commands: commandMenu(deps.telegram, url.searchParams) });
  }
  sendJson(res, 404, { ok: false, error: `no route ${route}` });
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

const SECURITY_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/**
 * The HTML is read and the script bundled again on every load, so a change to the page shows on reload.
 * Only the page's own bundled script runs: bot texts are rendered as DOM nodes, but a slip there still
 * could not execute anything.
 */
async function sendPage(res: ServerResponse, page: PageBundle): Promise<void> {
  try {
    await page.rebuild();
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
    res.end(error instanceof Error ? error.message : String(error));
    return;
  }
  const html = await readFile(new URL("./page.html", import.meta.url), "utf8");
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
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
  res.end(html);
}

function sendScript(res: ServerResponse, script: string): void {
  res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "content-length": Buffer.byteLength(script), ...SECURITY_HEADERS });
  res.end(script);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) return undefined;
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A route's answer, of the type the page reads it as. */
function answer<T extends object>(res: ServerResponse, payload: T): void {
  sendJson(res, 200, { ok: true, ...payload });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}
