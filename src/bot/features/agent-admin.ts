import { LeanComposer } from "../lean-composer.js";
import type { Composer, Api, CommandContext } from "grammy";
import type { Logger } from "../../logger.js";
import type { BotContext } from "../context.js";
import type { RoleDirectory } from "../roles.js";
import { isAdmin } from "./admin-guard.js";

export interface AgentAdminDeps {
  roles: RoleDirectory;
  log: Logger;
  now?: () => number;
  /** After a role changed: refreshes the person's "/" command menu (see command-menus.ts). */
  onRoleChange?: (api: Api, userId: number, role: "agent" | "customer") => Promise<void>;
}

type AdminCommand = CommandContext<BotContext> & { from: { id: number } };

const AGENTS_SHOWN = 100;

// A Telegram user id: a positive integer of at most 52 bits, by Telegram's own promise.
const USER_ID = /^[1-9]\d{0,15}$/;

/**
 * Admins list, add and remove agents from the chat (/agents, /agent_add <id>, /agent_remove <id>); the
 * change is stored and applies from the next update. For anyone else these commands do not exist, and
 * they are told so (admin-guard.ts, which refuses every admin command of the menu).
 */
export function agentAdminFeature(deps: AgentAdminDeps): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new LeanComposer<BotContext>();
  const admins = feature.chatType("private").filter(isAdmin);

  admins.command("agents", async (ctx) => {
    const { configured, added } = await deps.roles.agents();
    // Two lists of AGENTS_SHOWN ids (up to 16 digits) stay inside Telegram's 4096 characters; the rest are counted.
    const list = (ids: number[]) =>
      ids.length === 0
        ? ctx.t("agents-none")
        : [
            ...ids.slice(0, AGENTS_SHOWN),
            ...(ids.length > AGENTS_SHOWN ? [ctx.t("list-more", { count: ids.length - AGENTS_SHOWN })] : []),
          ].join(", ");
    await ctx.reply(ctx.t("agents-list", { configured: list(configured), added: list(added) }));
  });

  async function change(ctx: AdminCommand, command: "agent_add" | "agent_remove") {
    const arg = ctx.match.trim();
    if (!USER_ID.test(arg) || Number(arg) > 2 ** 52) {
      await ctx.reply(ctx.t("agent-admin-usage", { command }));
      return;
    }
    const id = Number(arg);
    const current = await deps.roles.roleOf(id);
    const { configured } = await deps.roles.agents();
    // String(id): Fluent would group the digits of a number, and an id is an identifier.
    const vars = { id: String(id) };
    if (current === "admin") {
      await ctx.reply(ctx.t("agent-admin-is-admin", vars));
    } else if (command === "agent_add") {
      const changed = current === "customer" && (await deps.roles.addAgent(id, ctx.from.id, now()));
      if (changed) deps.log.info({ admin: ctx.from.id, agent: id }, "agent added");
      if (changed) await deps.onRoleChange?.(ctx.api, id, "agent");
      await ctx.reply(ctx.t(changed ? "agent-admin-added" : "agent-admin-already", vars));
    } else if (configured.includes(id)) {
      await ctx.reply(ctx.t("agent-admin-configured", vars));
    } else {
      const changed = await deps.roles.removeAgent(id);
      if (changed) deps.log.info({ admin: ctx.from.id, agent: id }, "agent removed");
      if (changed) await deps.onRoleChange?.(ctx.api, id, "customer");
      await ctx.reply(ctx.t(changed ? "agent-admin-removed" : "agent-admin-not-agent", vars));
    }
  }
  admins.command("agent_add", (ctx) => change(ctx, "agent_add"));
  admins.command("agent_remove", (ctx) => change(ctx, "agent_remove"));
  return feature;
}
