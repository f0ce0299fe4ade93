import type { ServerResponse } from "node:http";

export const TEXT = "text/plain; charset=utf-8";

/** Writes a whole answer; nothing when the client is gone already (Telegram may have stopped waiting). */
export function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
