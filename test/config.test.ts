import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const valid = {
  BOT_TOKEN: "123456789:AAH-valid_token_value",
  BRAINYSOFT_URL: "https://acme-saas.brainysoft.ru:9025/bs-core/",
  BRAINYSOFT_TOKEN: "secret",
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig(valid);
    expect(config.telegramApiRoot).toBe("https://api.telegram.org");
    expect(config.brainysoft.baseUrl).toBe("https://acme-saas.brainysoft.ru:9025/bs-core");
    expect(config.brainysoft.auth).toEqual({ kind: "token", token: "secret" });
    expect(config.brainysoft.timeoutMs).toBe(15_000);
    expect(config.brainysoft.concurrency).toBe(32);
    expect(config.brainysoft.extraFields).toEqual({});
    expect(config.phone).toEqual({ defaultCountry: "RU", allowedCountries: undefined });
    expect(config.defaultLocale).toBe("ru");
    expect(config.logLevel).toBe("info");
    expect(config.dataDir).toBe("./data");
    expect(config.leadMaxAgeMs).toBe(72 * 3_600_000);
    expect(config.leadLeaseMs).toBe(5 * 60_000);
    expect(config.duplicateWindowMs).toBe(24 * 3_600_000);
    expect(config.privacyPolicyUrl).toBeUndefined();
    expect(config.retentionDays).toBe(90);
    expect(config.logPretty).toBe(false);
    expect(config.mode).toBe("polling");
    expect(config.port).toBe(8080);
    expect(config.webhook).toBeUndefined();
    expect(config.metrics).toBe(false);
    expect(config.leadsPerUserPerDay).toBe(3);
    expect(config.updateConcurrency).toBe(64);
    expect(config.database).toBeUndefined(); // SQLite in DATA_DIR
  });

  it("chooses PostgreSQL with DATABASE_URL, with a schema and a pool size", () => {
    const url = "postgres://bot:pw@db.internal:5432/leads";
    expect(loadConfig({ ...valid, DATABASE_URL: url }).database).toEqual({ url, schema: undefined, poolSize: 10 });
    expect(
      loadConfig({ ...valid, DATABASE_URL: "postgresql://db/leads", DATABASE_SCHEMA: "lead_bot", DATABASE_POOL_SIZE: "25" }).database,
    ).toEqual({ url: "postgresql://db/leads", schema: "lead_bot", poolSize: 25 });
  });

  it("names a malformed DATABASE_URL without showing it, password and all", () => {
    for (const value of ["mysql://bot:hunter2-secret@db/leads", "bot:hunter2-secret@db/leads"]) {
      const found = problems({ ...valid, DATABASE_URL: value });
      expect(found).toEqual(["DATABASE_URL must be a URL starting with postgres:// or postgresql://"]);
      expect(found.join("\n")).not.toContain("hunter2");
    }
  });

  it("needs a URL and a secret in webhook mode", () => {
    expect(problems({ ...valid, BOT_MODE: "webhook" })).toEqual([
      "WEBHOOK_URL is required when BOT_MODE is webhook",
      "WEBHOOK_SECRET is required when BOT_MODE is webhook",
    ]);
    expect(problems({ ...valid, BOT_MODE: "webhook", WEBHOOK_URL: "https://bot.example/tg", WEBHOOK_SECRET: "bad secret!" })[0]).toMatch(
      /^WEBHOOK_SECRET must be 1 to 256 characters/,
    );
    const config = loadConfig({ ...valid, BOT_MODE: "webhook", WEBHOOK_URL: "https://bot.example/tg", WEBHOOK_SECRET: "s3cr_et-1" });
    expect(config.webhook).toEqual({ url: "https://bot.example/tg", secret: "s3cr_et-1" });
  });

  it("reads every optional setting", () => {
    const config = loadConfig({
      ...valid,
      BRAINYSOFT_TOKEN: undefined,
      BRAINYSOFT_LOGIN: "bot",
      BRAINYSOFT_PASSWORD: "pw",
      BRAINYSOFT_CUSTOMER_KEY: "key",
      TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
      BRAINYSOFT_TIMEOUT_MS: "5000",
      LEAD_EXTRA_FIELDS: '{"channel":"telegram","subdivisionId":7}',
      DEFAULT_COUNTRY: "kz",
      ALLOWED_COUNTRIES: "RU, KZ",
      DEFAULT_LOCALE: "en",
      PRIVACY_POLICY_URL: "https://example.com/privacy",
      LEAD_MAX_AGE: "30m",
      DUPLICATE_WINDOW: "90s",
      ADMIN_IDS: "1, 2",
      AGENT_IDS: "3",
      UPDATE_CONCURRENCY: "8",
    });
    expect(config.updateConcurrency).toBe(8);
    expect(config.brainysoft.auth).toEqual({ kind: "login", userName: "bot", password: "pw", customerKey: "key" });
    expect(config.telegramApiRoot).toBe("http://127.0.0.1:8081");
    expect(config.brainysoft.extraFields).toEqual({ channel: "telegram", subdivisionId: 7 });
    expect(config.phone).toEqual({ defaultCountry: "KZ", allowedCountries: ["RU", "KZ"] });
    expect(config.leadMaxAgeMs).toBe(30 * 60_000);
    expect(config.duplicateWindowMs).toBe(90_000);
    expect(config.adminIds).toEqual([1, 2]);
    expect(config.agentIds).toEqual([3]);
  });

  it("names every missing required variable, one line each", () => {
    expect(problems({})).toEqual([
      "BOT_TOKEN is required",
      "BRAINYSOFT_URL is required",
      "BRAINYSOFT_TOKEN is required (or BRAINYSOFT_LOGIN, BRAINYSOFT_PASSWORD and BRAINYSOFT_CUSTOMER_KEY)",
    ]);
  });

  it.each([
    ["BOT_TOKEN", "not-a-token", "BOT_TOKEN must look like"],
    ["BRAINYSOFT_URL", "acme.brainysoft.ru", "BRAINYSOFT_URL must be a URL"],
    ["BRAINYSOFT_TIMEOUT_MS", "fast", "BRAINYSOFT_TIMEOUT_MS must be a whole number"],
    ["BRAINYSOFT_TIMEOUT_MS", "10", "BRAINYSOFT_TIMEOUT_MS must be between 100 and 300000"],
    ["LEAD_EXTRA_FIELDS", "[1,2]", "LEAD_EXTRA_FIELDS must be a JSON object"],
    ["LEAD_EXTRA_FIELDS", "{oops", "LEAD_EXTRA_FIELDS must be a JSON object"],
    ["DEFAULT_COUNTRY", "Russia", "DEFAULT_COUNTRY must be a two-letter ISO country code"],
    ["ALLOWED_COUNTRIES", "RU,XX", "ALLOWED_COUNTRIES must be a two-letter ISO country code"],
    ["DEFAULT_LOCALE", "de", "DEFAULT_LOCALE must be ru or en"],
    ["PRIVACY_POLICY_URL", "ftp://x", "PRIVACY_POLICY_URL must be a URL"],
    ["LOG_LEVEL", "loud", "LOG_LEVEL must be one of"],
    ["LEAD_MAX_AGE", "3 days", "LEAD_MAX_AGE must be a duration"],
    ["ADMIN_IDS", "@boss", "ADMIN_IDS must be a comma-separated list"],
    ["RETENTION_DAYS", "0", "RETENTION_DAYS must be between 1 and 3650"],
    ["LOG_PRETTY", "maybe", "LOG_PRETTY must be true or false"],
    ["BOT_MODE", "push", "BOT_MODE must be polling or webhook"],
    ["PORT", "70000", "PORT must be between 0 and 65535"],
    ["METRICS", "on", "METRICS must be true or false"],
    ["LEADS_PER_USER_PER_DAY", "-1", "LEADS_PER_USER_PER_DAY must be a whole number"],
    ["DATABASE_SCHEMA", "Lead-Bot", "DATABASE_SCHEMA must be a PostgreSQL schema name"],
    ["DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE must be between 1 and 100"],
    ["UPDATE_CONCURRENCY", "501", "UPDATE_CONCURRENCY must be between 1 and 500"],
    ["LEAD_LEASE", "soon", "LEAD_LEASE must be a duration"],
    ["LEAD_LEASE", "20s", "LEAD_LEASE must be at least twice BRAINYSOFT_TIMEOUT_MS (30000 ms)"],
  ])("refuses a malformed %s", (name, value, message) => {
    const found = problems({ ...valid, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it("refuses two ways of authenticating, and an incomplete log-in", () => {
    expect(problems({ ...valid, BRAINYSOFT_LOGIN: "bot" })[0]).toMatch(/choose one way/);
    expect(problems({ ...valid, BRAINYSOFT_TOKEN: undefined, BRAINYSOFT_LOGIN: "bot" })).toEqual([
      "BRAINYSOFT_PASSWORD is required when logging in to Brainysoft with a login and password",
      "BRAINYSOFT_CUSTOMER_KEY is required when logging in to Brainysoft with a login and password",
    ]);
  });

  it("never puts a secret value into a problem line", () => {
    const secret = "super-secret-password";
    const text = problems({ ...valid, BRAINYSOFT_TOKEN: secret, BRAINYSOFT_PASSWORD: secret, BOT_TOKEN: "x" }).join("\n");
    expect(text).not.toContain(secret);
  });
});
