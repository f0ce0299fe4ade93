import type { Readable } from "node:stream";
import { Agent, request } from "undici";
import type { Dispatcher } from "undici";

/**
 * The part of a fetch Response grammY's client reads: it calls `res.json()` and nothing else.
 */
interface JsonResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

/** What grammY's client passes to `fetch`: a JSON string, or a multipart stream for uploads. */
interface ApiRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  signal?: AbortSignal;
}

export type TelegramFetch = (url: string, init?: ApiRequestInit) => Promise<JsonResponse>;

/**
 * grammY's Bot API calls over undici's `request` on one keep-alive Agent, instead of grammY's default
 * node-fetch: measured by the load bench, node-fetch (Response objects, header maps, stream wrappers)
 * cost more CPU per call than undici's request, and the bot makes five or six calls per lead. The
 * conversations plugin builds its Api from the bot's client options, so it gets this transport too.
 * Errors (refused connection, abort, a body that is not JSON) reject as with fetch, and grammY turns
 * them into HttpError the same way.
 */
export function undiciTelegramFetch(dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 30_000 })): typeof fetch {
  const call: TelegramFetch = async (url, init = {}) => {
    // undici sets Connection itself and refuses the header grammY adds.
    const { connection: _connection, ...headers } = init.headers ?? {};
    const response = await request(url, {
      method: init.method === "GET" ? "GET" : "POST",
      headers,
      body: init.body ?? null,
      signal: init.signal,
      dispatcher,
    });
    return {
      ok: response.statusCode >= 200 && response.statusCode < 300,
      status: response.statusCode,
      json: () => response.body.json(),
    };
  };
  // grammY types the option as the global fetch but only calls it as above (string URL, its own init) and
  // reads only `json()` of the answer.
  return call as unknown as typeof fetch;
}
