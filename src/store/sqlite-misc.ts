/** The small stores on better-sqlite3: processed update ids, agent roles, conversation state. */
import type Database from "better-sqlite3";
import type { GroupCommit } from "./sqlite-group-commit.js";
import { storedJson } from "./json-text.js";
import type { KeyValueStore, RoleStore, UpdateDeduplicator } from "./types.js";
import { parseJson } from "../guards.js";

/** Remembers an update as handled: by the de-duplication, and with a conversation's change. */
const MARK_HANDLED = `INSERT OR IGNORE INTO processed_updates (update_id, seen_at) VALUES (?, ?)`;

/** Processed update ids; Store.purge (daily, and at start) deletes the expired ones. */
export function sqliteUpdateDeduplicator(db: Database.Database, group: GroupCommit): UpdateDeduplicator {
  const exists = db.prepare<[number], number>(`SELECT 1 FROM processed_updates WHERE update_id = ?`).pluck();
  const insert = db.prepare<[number, number]>(MARK_HANDLED);
  return {
    wasHandled: async (updateId) => exists.get(updateId) !== undefined,
    markHandled: (updateId, now) => group.write(() => insert.run(updateId, now).changes === 1),
  };
}

export function sqliteRoleStore(db: Database.Database, group: GroupCommit): RoleStore {
  const list = db.prepare<[], number>(`SELECT user_id FROM agents ORDER BY added_at, user_id`).pluck();
  const add = db.prepare<[number, number, number]>(`INSERT OR IGNORE INTO agents (user_id, added_by, added_at) VALUES (?, ?, ?)`);
  const remove = db.prepare<[number]>(`DELETE FROM agents WHERE user_id = ?`);
  return {
    listAgents: async () => list.all(),
    addAgent: (userId, addedBy, now) => group.write(() => add.run(userId, addedBy, now).changes === 1),
    removeAgent: (userId) => group.write(() => remove.run(userId).changes === 1),
  };
}

/**
 * JSON values by key. A value is stored as JSON.stringify(value) and read back with JSON.parse, so
 * plain JSON data (objects, arrays, strings, finite numbers, booleans, null) round-trips exactly.
 * Writing `undefined` deletes the key, matching what read() returns for a missing one.
 */
export function sqliteKeyValueStore(db: Database.Database, group: GroupCommit): KeyValueStore<unknown> {
  const read = db.prepare<[string], string>(`SELECT value FROM conversations WHERE key = ?`).pluck();
  const write = db.prepare<[string, string, number]>(
    `INSERT INTO conversations (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare<[string]>(`DELETE FROM conversations WHERE key = ?`);
  const handled = db.prepare<[number, number]>(MARK_HANDLED);
  // Both or neither: a group commit write is atomic (a savepoint of its own).
  const change = (key: string, json: string | undefined, handledUpdate: number | undefined) => {
    const now = Date.now();
    if (json === undefined) remove.run(key);
    else write.run(key, json, now);
    if (handledUpdate !== undefined) handled.run(handledUpdate, now);
  };
  return {
    read: async (key) => {
      const json = read.get(key);
      return json === undefined ? undefined : parseJson(json);
    },
    write: (key, value, handledUpdate) => group.write(() => change(key, storedJson(value), handledUpdate)),
    delete: (key, handledUpdate) => group.write(() => change(key, undefined, handledUpdate)),
  };
}
