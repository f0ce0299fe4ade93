import type { ConversationFlavor } from "@grammyjs/conversations";
import type { I18nFlavor } from "@grammyjs/i18n";
import type { Context } from "grammy";
import type { Role } from "./roles.js";

/** The context inside a conversation: plugins are installed there separately (see create-bot). */
export type InsideContext = Context & I18nFlavor;

/** The context every middleware outside conversations sees. */
export type BotContext = ConversationFlavor<InsideContext> & { role: Role };
