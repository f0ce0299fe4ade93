/**
 * The PostgreSQL server for tests: 127.0.0.1:5432, database `test`, trust auth (user postgres, else
 * root), or TEST_DATABASE_URL. Each test gets a schema of its own, dropped after it, so test files
 * running side by side (and CI runs) never see each other's rows.
 *
 * With no server answering, describePostgres skips its tests with one line on stderr; with
 * REQUIRE_POSTGRES=1 (set by .ci/run) it fails them instead, so the project's machines cannot skip
 * them quietly.
 */
import crypto from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";

const CANDIDATES = process.env.TEST_DATABASE_URL
  ? [process.env.TEST_DATABASE_URL]
  : ["postgres://postgres@127.0.0.1:5432/test", "postgres://root@127.0.0.1:5432/test"];

async function answers(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function findServer(): Promise<{ url: string } | { missing: string }> {
  const problems: string[] = [];
  for (const url of CANDIDATES) {
    const problem = await answers(url);
    if (problem === undefined) return { url };
    problems.push(`${new URL(url).username}: ${problem}`);
  }
  return { missing: `no PostgreSQL answers at ${new URL(CANDIDATES[0] ?? "").host} (${problems.join("; ")})` };
}

let found: Promise<{ url: string } | { missing: string }> | undefined;

/** The server's URL, asked once per test file. */
export function testServer(): Promise<{ url: string } | { missing: string }> {
  found ??= findServer();
  return found;
}

export interface TestDatabase {
  url: string;
  /** A new schema, dropped by dropSchemas. */
  newSchema(): string;
  /** SQL as the test's own user, outside any store (inspection, terminating connections). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  dropSchemas(): Promise<void>;
  end(): Promise<void>;
}

export function testDatabase(url: string): TestDatabase {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on("error", () => {});
  const schemas: string[] = [];
  return {
    url,
    newSchema() {
      const schema = `test_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
      schemas.push(schema);
      return schema;
    },
    query: async (text, values) => (await admin.query(text, values)).rows,
    async dropSchemas() {
      for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    end: () => admin.end(),
  };
}

/**
 * describe() for tests that need the server: `body` runs with its URL. Top-level await in the test
 * file (`await describePostgres(...)`) lets the probe finish before vitest collects the tests.
 */
export async function describePostgres(name: string, body: (url: string) => void): Promise<void> {
  const server = await testServer();
  if ("url" in server) {
    describe(name, () => body(server.url));
    return;
  }
  if (process.env.REQUIRE_POSTGRES === "1") {
    describe(name, () => {
      it("needs PostgreSQL (REQUIRE_POSTGRES=1)", () => {
        throw new Error(`${server.missing}; REQUIRE_POSTGRES=1 makes that a failure`);
      });
    });
    return;
  }
  process.stderr.write(`PostgreSQL tests skipped: ${server.missing}\n`);
  describe.skip(name, () => body("postgres://unavailable"));
}
