import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { TranslationFlavor } from "../i18n.js";
import type { Role } from "./roles.js";

/** The context inside a conversation: plugins are installed there separately (see create-bot). */
export type InsideContext = Context & TranslationFlavor;

/** The context every middleware outside conversations sees. */
export type BotContext = ConversationFlavor<InsideContext> & { role: Role };
