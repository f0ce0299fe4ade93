import type { Config } from "../config.js";
import type { Role, RoleStore } from "../store/types.js";

export type { Role };

/** Who may do what: ADMIN_IDS and AGENT_IDS from the configuration, plus agents admins added in the chat. */
export interface RoleDirectory {
  roleOf(userId: number): Promise<Role>;
  addAgent(userId: number, addedBy: number, now: number): Promise<boolean>;
  removeAgent(userId: number): Promise<boolean>;
  /** Agents by where the role comes from: configuration ones cannot be removed from the chat. */
  agents(): Promise<{ configured: number[]; added: number[] }>;
}

export function createRoleDirectory(config: Pick<Config, "adminIds" | "agentIds">, store: RoleStore): RoleDirectory {
  const admins = new Set(config.adminIds);
  const configured = new Set(config.agentIds);
  // Read once, then kept in step by add/remove: every update asks for a role, the store only changes here.
  let added: Promise<Set<number>> | undefined;
  const addedAgents = () => (added ??= store.listAgents().then((ids) => new Set(ids)));

  return {
    async roleOf(userId) {
      if (admins.has(userId)) return "admin";
      if (configured.has(userId) || (await addedAgents()).has(userId)) return "agent";
      return "customer";
    },
    async addAgent(userId, addedBy, now) {
      const set = await addedAgents();
      const changed = await store.addAgent(userId, addedBy, now);
      set.add(userId);
      return changed;
    },
    async removeAgent(userId) {
      const set = await addedAgents();
      const changed = await store.removeAgent(userId);
      set.delete(userId);
      return changed;
    },
    async agents() {
      return { configured: [...configured], added: [...(await addedAgents())] };
    },
  };
}
