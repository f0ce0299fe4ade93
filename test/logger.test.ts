import { Writable } from "node:stream";
import pretty from "pino-pretty";
import { GrammyError } from "grammy";
import { describe, expect, it } from "vitest";
import { secretsOf } from "../src/config.js";
import { createLogger, shortenName } from "../src/logger.js";

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { destination, text: () => chunks.join("") };
}

describe("logger", () => {
  it("writes JSON lines without secrets, whatever carries them", () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination, secrets: ["s3cr3t-token"] });
    log.info({ url: "http://host/bots3cr3t-token/getMe", token: "x" }, "call about it");
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: "call about it", url: "http://host/bot[secret]/getMe", token: "[secret]" });
  });

  it("issue 12.13: hides secrets shorter than 6 characters where they stand alone, keeping words, numbers and JSON whole", () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination, secrets: ["ab", "k3y", "7", "a.c"] });
    log.info({ url: "https://crm/bs-core/main/login?customer-key=k3y&x=1", attempt: 7, note: "abc about ab 7x 17 7" }, "pass a.c or abc");
    const [warning, line] = out
      .text()
      .trimEnd()
      .split("\n")
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    // A secret that short is easy to guess: the operator is told once.
    expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/shorter than 6 characters/) });
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      url: "https://crm/bs-core/main/login?customer-key=[secret]&x=1",
      attempt: 7,
      note: "abc about [secret] 7x 17 [secret]",
      msg: "pass [secret] or abc",
    });
  });

  it("logs grammY errors without their payload (message texts with phones)", () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination });
    const error = new GrammyError(
      "Call to 'sendMessage' failed!",
      { ok: false, error_code: 400, description: "Bad Request: chat not found" },
      "sendMessage",
      {
        chat_id: 1,
        text: "We will call you at +7 977 620-07-77",
      },
    );
    log.error({ err: error }, "failed");
    const line = JSON.parse(out.text()) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({
      type: "GrammyError",
      method: "sendMessage",
      error_code: 400,
      description: "Bad Request: chat not found",
    });
    expect(out.text()).not.toContain("620-07-77");
  });

  it("LOG_PRETTY gives readable lines instead of JSON, still without secrets", async () => {
    const out = capture();
    const log = createLogger({ level: "info", destination: out.destination, pretty, secrets: ["s3cr3t-token"] });
    log.info({ lead: 15 }, "lead received s3cr3t-token");
    // pino-pretty writes through a stream of its own: the line arrives a moment later.
    await expect.poll(() => out.text()).toMatch(/INFO.*lead received \[secret\]/);
    expect(out.text()).toMatch(/lead: 15/);
    expect(() => JSON.parse(out.text())).toThrow();
  });

  it("knows the configured secrets and shortens names", () => {
    expect(
      secretsOf({
        botToken: "1:abc",
        brainysoft: { auth: { kind: "login", userName: "u", password: "p4ss", customerKey: "key" } },
      } as never),
    ).toEqual(["1:abc", "p4ss", "key"]);
    expect(shortenName("Фридрих")).toBe("Фр…");
  });
});
