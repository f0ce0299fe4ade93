import { expect } from "vitest";
import { inflateSync } from "node:zlib";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import type { TestApp } from "../harness/test-app.js";

export const WAIT = 10_000;
export const admin: FakeUser = { id: 9001, first_name: "Admin", language_code: "en" };
export const secondAdmin: FakeUser = { id: 9002, first_name: "Вера", language_code: "ru" };
export const agent: FakeUser = { id: 9101, first_name: "Оператор", language_code: "ru" };
export const ADMIN_ENV = { ADMIN_IDS: `${admin.id},${secondAdmin.id}`, AGENT_IDS: String(agent.id) };

export const plain = (m: SentMessage) => m.plainText ?? "";

/** Sends a text and returns the bot's next message in that chat. */
export async function say(t: TestApp, user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return t.telegram.nextMessage(user.id, WAIT);
}

/** A customer applies through the real conversation; returns the bot's final answer. */
export async function customerLead(t: TestApp, user: FakeUser, phone: string, deepLink = ""): Promise<SentMessage> {
  await say(t, user, deepLink ? `/start ${deepLink}` : "/start");
  await t.telegram.nextMessage(user.id, WAIT); // name question
  await say(t, user, user.first_name); // phone question
  return say(t, user, phone);
}

/** Every message the bot sent to a chat, as the person sees them (sends only, not edits). */
export const inbox = (t: TestApp, user: FakeUser) => t.telegram.sent(user.id).filter((m) => m.method.startsWith("send"));

export interface DecodedPng {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number];
}

/** Decodes the PNGs the bot draws (8-bit RGB, any filter), independently of the encoder. */
export function decodePng(png: Buffer): DecodedPng {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 2]);
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    const prev = rows[y - 1] ?? Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= 3 ? line[i - 3]! : 0;
      const b = prev[i]!;
      const c = i >= 3 ? prev[i - 3]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const add = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? Math.floor((a + b) / 2) : paeth;
      line[i] = (line[i]! + add) & 0xff;
    }
    rows.push(line);
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const row = rows[y]!;
      return [row[x * 3]!, row[x * 3 + 1]!, row[x * 3 + 2]!];
    },
  };
}

/** Parses RFC 4180 CSV (after an optional BOM) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && body[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}
