import { isSupportedCountry, type CountryCode } from "libphonenumber-js/max";
import { z } from "zod";
import { isRecord } from "./guards.js";

/** How the bot signs in to Brainysoft: a static token, or a log-in whose token it caches. */
export type BrainysoftAuth = { kind: "token"; token: string } | { kind: "login"; userName: string; password: string; customerKey: string };

/** Everything the bot is told by its operator, validated once at start-up. */
export interface Config {
  botToken: string;
  telegramApiRoot: string;
  brainysoft: {
    baseUrl: string;
    auth: BrainysoftAuth;
    timeoutMs: number;
    concurrency: number;
    extraFields: Record<string, unknown>;
  };
  phone: { defaultCountry: CountryCode; allowedCountries: CountryCode[] | undefined };
  defaultLocale: "ru" | "en";
  privacyPolicyUrl: string | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  dataDir: string;
  leadMaxAgeMs: number;
  duplicateWindowMs: number;
  agentIds: number[];
  adminIds: number[];
  retentionDays: number;
  logPretty: boolean;
  mode: "polling" | "webhook";
  /** HTTP port for health, readiness, metrics and (in webhook mode) updates. */
  port: number;
  /** Webhook mode only: the public URL Telegram posts to, and the secret it must send back. */
  webhook: { url: string; secret: string } | undefined;
  metrics: boolean;
  leadsPerUserPerDay: number;
  /** Polling: chats whose updates are worked on at once (UPDATE_CONCURRENCY); the others wait their turn. */
  updateConcurrency: number;
  /** PostgreSQL shared by several replicas (DATABASE_URL); undefined: SQLite in dataDir. */
  database: { url: string; schema: string | undefined; poolSize: number } | undefined;
  /** How long one delivery attempt keeps other replicas off a lead; a dead replica's lead waits this long. */
  leadLeaseMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const optional = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
  );

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** "72h", "30m", "90s", "2d" or plain milliseconds: operators think in hours, tests in milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'must be a duration such as "72h", "30m", "90s" or milliseconds')
  .transform((value) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)?$/.exec(value) ?? [];
    return Number(amount) * (DURATION_UNITS[unit ?? "ms"] ?? 1);
  });

const country = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine((c) => isSupportedCountry(c), "must be a two-letter ISO country code such as RU")
  .transform((c) => c as CountryCode); // isSupportedCountry checked it, but is no type guard

const idList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "must be a comma-separated list of numeric Telegram user ids")
  .transform((s) => s.split(",").map((id) => Number(id.trim())));

const boolean = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const jsonObject = z.string().transform((text, ctx) => {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) return value;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: 'must be a JSON object such as {"channel":"telegram"}' });
  return z.NEVER;
});

const schema = z.object({
  BOT_TOKEN: z.string().regex(/^\d+:[\w-]{10,}$/, "must look like 123456789:AA... (ask @BotFather)"),
  TELEGRAM_API_ROOT: url(["https:", "http:"])
    .default("https://api.telegram.org")
    .transform((u) => u.replace(/\/+$/, "")),
  BRAINYSOFT_URL: url(["https:", "http:"]).transform((u) => u.replace(/\/+$/, "")),
  BRAINYSOFT_TOKEN: z.string().optional(),
  BRAINYSOFT_LOGIN: z.string().optional(),
  BRAINYSOFT_PASSWORD: z.string().optional(),
  BRAINYSOFT_CUSTOMER_KEY: z.string().optional(),
  BRAINYSOFT_TIMEOUT_MS: integer(100, 300_000).default(15_000),
  BRAINYSOFT_CONCURRENCY: integer(1, 64).default(32),
  UPDATE_CONCURRENCY: integer(1, 500).default(64),
  LEAD_EXTRA_FIELDS: jsonObject.optional(),
  DEFAULT_COUNTRY: country.default("RU"),
  ALLOWED_COUNTRIES: z
    .string()
    .transform((s) => s.split(",").map((c) => c.trim()))
    .pipe(z.array(country).min(1))
    .optional(),
  DEFAULT_LOCALE: z.enum(["ru", "en"], { message: "must be ru or en" }).default("ru"),
  PRIVACY_POLICY_URL: url(["https:", "http:"]).optional(),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  DATA_DIR: z.string().default("./data"),
  LEAD_MAX_AGE: duration.default(72 * 3_600_000),
  DUPLICATE_WINDOW: duration.default(24 * 3_600_000),
  AGENT_IDS: idList.optional(),
  ADMIN_IDS: idList.optional(),
  RETENTION_DAYS: integer(1, 3650).default(90),
  LOG_PRETTY: boolean.default(false),
  BOT_MODE: z.enum(["polling", "webhook"], { message: "must be polling or webhook" }).default("polling"),
  PORT: integer(0, 65535).default(8080),
  WEBHOOK_URL: url(["https:", "http:"]).optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
    .optional(),
  METRICS: boolean.default(false),
  LEADS_PER_USER_PER_DAY: integer(1, 1000).default(3),
  // The value never appears in a problem line: it usually carries a password.
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL schema name: up to 63 of a-z, 0-9 and _, not starting with a digit")
    .optional(),
  DATABASE_POOL_SIZE: integer(1, 100).default(10),
  LEAD_LEASE: duration.default(5 * 60_000),
});

/**
 * Validates the environment into a Config. Throws ConfigError with one line per problem, each naming
 * the variable, so an operator can fix them all in one go.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.keys(schema.shape).map((key) => [key, optional(env[key])]));
  const parsed = schema.safeParse(cleaned);
  const auth = brainysoftAuth(cleaned);
  const problems = [
    ...webhookProblems(cleaned),
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => {
          const name = String(issue.path[0] ?? "configuration");
          return cleaned[name] === undefined && issue.code === "invalid_type" ? `${name} is required` : `${name} ${issue.message}`;
        })),
    ...(Array.isArray(auth) ? auth : []),
    // A lease shorter than an attempt would let another replica send a lead whose attempt is still running.
    ...(parsed.success && parsed.data.LEAD_LEASE < 2 * parsed.data.BRAINYSOFT_TIMEOUT_MS
      ? [`LEAD_LEASE must be at least twice BRAINYSOFT_TIMEOUT_MS (${2 * parsed.data.BRAINYSOFT_TIMEOUT_MS} ms)`]
      : []),
  ];
  if (problems.length > 0 || !parsed.success || Array.isArray(auth)) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    botToken: e.BOT_TOKEN,
    telegramApiRoot: e.TELEGRAM_API_ROOT,
    brainysoft: {
      baseUrl: e.BRAINYSOFT_URL,
      auth,
      timeoutMs: e.BRAINYSOFT_TIMEOUT_MS,
      concurrency: e.BRAINYSOFT_CONCURRENCY,
      extraFields: e.LEAD_EXTRA_FIELDS ?? {},
    },
    phone: { defaultCountry: e.DEFAULT_COUNTRY, allowedCountries: e.ALLOWED_COUNTRIES },
    defaultLocale: e.DEFAULT_LOCALE,
    privacyPolicyUrl: e.PRIVACY_POLICY_URL,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    leadMaxAgeMs: e.LEAD_MAX_AGE,
    duplicateWindowMs: e.DUPLICATE_WINDOW,
    agentIds: e.AGENT_IDS ?? [],
    adminIds: e.ADMIN_IDS ?? [],
    retentionDays: e.RETENTION_DAYS,
    logPretty: e.LOG_PRETTY,
    mode: e.BOT_MODE,
    port: e.PORT,
    webhook: e.BOT_MODE === "webhook" ? { url: e.WEBHOOK_URL ?? "", secret: e.WEBHOOK_SECRET ?? "" } : undefined,
    metrics: e.METRICS,
    leadsPerUserPerDay: e.LEADS_PER_USER_PER_DAY,
    updateConcurrency: e.UPDATE_CONCURRENCY,
    database: e.DATABASE_URL === undefined ? undefined : { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolSize: e.DATABASE_POOL_SIZE },
    leadLeaseMs: e.LEAD_LEASE,
  };
}

/** Webhook mode cannot start without the address Telegram posts to and the secret that proves it is Telegram. */
function webhookProblems(e: Record<string, string | undefined>): string[] {
  if (e.BOT_MODE !== "webhook") return [];
  return (["WEBHOOK_URL", "WEBHOOK_SECRET"] as const)
    .filter((name) => e[name] === undefined)
    .map((name) => `${name} is required when BOT_MODE is webhook`);
}

/** Exactly one way to authenticate: a static token, or a complete log-in triple. */
function brainysoftAuth(e: Record<string, string | undefined>): BrainysoftAuth | string[] {
  const login = [e.BRAINYSOFT_LOGIN, e.BRAINYSOFT_PASSWORD, e.BRAINYSOFT_CUSTOMER_KEY];
  const loginGiven = login.filter((v) => v !== undefined).length;
  if (e.BRAINYSOFT_TOKEN !== undefined && loginGiven > 0) {
    return ["BRAINYSOFT_TOKEN is set together with BRAINYSOFT_LOGIN/PASSWORD/CUSTOMER_KEY: choose one way to authenticate"];
  }
  if (e.BRAINYSOFT_TOKEN !== undefined) return { kind: "token", token: e.BRAINYSOFT_TOKEN };
  if (e.BRAINYSOFT_LOGIN !== undefined && e.BRAINYSOFT_PASSWORD !== undefined && e.BRAINYSOFT_CUSTOMER_KEY !== undefined) {
    return { kind: "login", userName: e.BRAINYSOFT_LOGIN, password: e.BRAINYSOFT_PASSWORD, customerKey: e.BRAINYSOFT_CUSTOMER_KEY };
  }
  const missing = ["BRAINYSOFT_LOGIN", "BRAINYSOFT_PASSWORD", "BRAINYSOFT_CUSTOMER_KEY"].filter((_, i) => login[i] === undefined);
  return loginGiven > 0
    ? missing.map((name) => `${name} is required when logging in to Brainysoft with a login and password`)
    : ["BRAINYSOFT_TOKEN is required (or BRAINYSOFT_LOGIN, BRAINYSOFT_PASSWORD and BRAINYSOFT_CUSTOMER_KEY)"];
}

/** The configured secrets a log line must never show. */
export function secretsOf(config: Pick<Config, "botToken" | "brainysoft" | "database">): string[] {
  const databasePassword = config.database ? passwordOf(config.database.url) : undefined;
  return [config.botToken, ...brainysoftSecrets(config.brainysoft.auth), ...(databasePassword ? [databasePassword] : [])];
}

/** The secrets in Brainysoft credentials (the user name is not one). */
export function brainysoftSecrets(auth: BrainysoftAuth): string[] {
  return auth.kind === "token" ? [auth.token] : [auth.password, auth.customerKey];
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
