import { Api, Composer, Context, type NextFunction } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { LeanComposer } from "../../src/bot/lean-composer.js";

const me: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: "Bot",
  username: "lead_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

function message(text: string, chatType: "private" | "group" = "private"): Context {
  const entities = text.startsWith("/")
    ? [{ type: "bot_command" as const, offset: 0, length: text.split(" ")[0]?.length ?? 0 }]
    : undefined;
  const chat =
    chatType === "private" ? { id: 5, type: "private" as const, first_name: "Анна" } : { id: -5, type: "group" as const, title: "g" };
  return new Context(
    { update_id: 1, message: { message_id: 1, date: 0, chat, from: { id: 5, is_bot: false, first_name: "Анна" }, text, entities } },
    new Api("0:test"),
    me,
  );
}

/** Runs `composer` the way grammY's bot does, and returns what ran, in order. */
async function run(composer: Composer<Context>, ctx: Context): Promise<string[]> {
  const seen: string[] = [];
  (ctx as Context & { seen: string[] }).seen = seen; // the test's own field on the context
  await composer.middleware()(ctx, async () => {
    seen.push("end");
  });
  return seen;
}
const see = (ctx: Context, what: string) => (ctx as Context & { seen: string[] }).seen.push(what); // set by run() above

describe("LeanComposer", () => {
  it("runs what grammY's Composer runs, in the same order, for the same updates", async () => {
    const build = (composer: Composer<Context>) => {
      composer.use(async (ctx, next) => {
        see(ctx, "first in");
        await next();
        see(ctx, "first out");
      });
      composer.chatType("private").command("start", (ctx) => see(ctx, `start ${ctx.match}`));
      composer.command("help", (ctx, next) => {
        see(ctx, "help");
        return next();
      });
      composer.filter(
        async (ctx) => ctx.message?.text === "async",
        (ctx) => see(ctx, "async predicate"),
      );
      composer.on("message:text").filter(
        (ctx) => ctx.message.text.length > 3,
        (ctx, next) => {
          see(ctx, "long text");
          return next();
        },
      );
      composer.branch(
        (ctx) => ctx.chat?.type === "group",
        (ctx) => see(ctx, "group"),
        (_ctx, next) => next(),
      );
    };
    for (const [text, type] of [
      ["/start promo", "private"],
      ["/start", "group"],
      ["/help", "private"],
      ["async", "private"],
      ["hello", "private"],
      ["hi", "group"],
    ] as const) {
      const lean = new LeanComposer<Context>();
      const plain = new Composer<Context>();
      build(lean);
      build(plain);
      expect(await run(lean, message(text, type)), text).toEqual(await run(plain, message(text, type)));
    }
  });

  it("resolves next() only when the rest of the chain has finished", async () => {
    const composer = new LeanComposer<Context>();
    let released: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      released = resolve;
    });
    composer.use(async (ctx, next) => {
      await next();
      see(ctx, "after next");
    });
    composer.use(async (ctx) => {
      await gate;
      see(ctx, "slow");
    });
    const ctx = message("x");
    const running = run(composer, ctx);
    await new Promise((resolve) => setTimeout(resolve, 10));
    released();
    expect(await running).toEqual(["slow", "after next"]);
  });

  it("rejects when a middleware throws, before or after its first await", async () => {
    const sync = new LeanComposer<Context>((_ctx: Context, _next: NextFunction) => {
      throw new Error("sync");
    });
    await expect(run(sync, message("x"))).rejects.toThrow("sync");
    const later = new LeanComposer<Context>();
    later.filter(
      () => true,
      async () => {
        await Promise.resolve();
        throw new Error("async");
      },
    );
    await expect(run(later, message("x"))).rejects.toThrow("async");
  });

  it("runs middleware added to a composer after it was installed", async () => {
    const outer = new LeanComposer<Context>();
    const inner = new LeanComposer<Context>();
    const plain = new Composer<Context>();
    outer.use(inner, plain);
    inner.use((ctx, next) => {
      see(ctx, "inner");
      return next();
    });
    plain.use((ctx, next) => {
      see(ctx, "plain");
      return next();
    });
    outer.chatType("private").use((ctx) => see(ctx, "private"));
    expect(await run(outer, message("x"))).toEqual(["inner", "plain", "private"]);
  });
});
