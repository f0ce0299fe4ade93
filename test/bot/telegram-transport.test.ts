import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Api, GrammyError, HttpError } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { undiciTelegramFetch } from "../../src/bot/telegram-transport.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A Bot API stand-in on 127.0.0.1 that answers every call with `answer(method, body)`. */
async function botApi(answer: (method: string, body: unknown) => { status: number; json: unknown }): Promise<string> {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const method = req.url?.split("/").at(-1) ?? "";
      const { status, json } = answer(method, text ? JSON.parse(text) : undefined);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  // listen() on a TCP port gives an AddressInfo.
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("grammY's Bot API calls over undici", () => {
  it("sends the payload as JSON and gives back the result", async () => {
    const seen: unknown[] = [];
    const apiRoot = await botApi((method, body) => {
      seen.push({ method, body });
      return { status: 200, json: { ok: true, result: { message_id: 7, date: 0, chat: { id: 1, type: "private" } } } };
    });
    const api = new Api("1:token", { apiRoot, fetch: undiciTelegramFetch() });
    const sent = await api.sendMessage(1, "Привет");
    expect(sent.message_id).toBe(7);
    expect(seen).toEqual([{ method: "sendMessage", body: { chat_id: 1, text: "Привет" } }]);
  });

  it("turns Telegram's refusal into a GrammyError with its description", async () => {
    const apiRoot = await botApi(() => ({ status: 400, json: { ok: false, error_code: 400, description: "Bad Request: chat not found" } }));
    const api = new Api("1:token", { apiRoot, fetch: undiciTelegramFetch() });
    const error = await api.sendMessage(1, "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ description: "Bad Request: chat not found" });
  });

  it("turns an unreachable Bot API into an HttpError, as node-fetch did", async () => {
    const apiRoot = await botApi(() => ({ status: 200, json: { ok: true, result: true } }));
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const api = new Api("1:token", { apiRoot, fetch: undiciTelegramFetch() });
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
  });
});
