import { describe, expect, it } from "vitest";
import { parseExportArgs } from "../../../src/bot/features/admin-export.js";
import { parseLogsArgs } from "../../../src/bot/features/admin-logs.js";
import { parseRetryArgs } from "../../../src/bot/features/admin-queue.js";

describe("admin command arguments", () => {
  it("/logs [N] [errors|leads|agent <id>]", () => {
    expect(parseLogsArgs("")).toEqual({ count: 20, filter: "all" });
    expect(parseLogsArgs(" 50 ")).toEqual({ count: 50, filter: "all" });
    expect(parseLogsArgs("Errors")).toEqual({ count: 20, filter: "errors" });
    expect(parseLogsArgs("30 leads")).toEqual({ count: 30, filter: "leads" });
    expect(parseLogsArgs("agent 123456789")).toEqual({ count: 20, filter: "agent:123456789" });
    expect(parseLogsArgs("5 agent 42")).toEqual({ count: 5, filter: "agent:42" });
    for (const bad of ["0", "501", "agent", "agent x", "errors 5", "leads please", "everything"])
      expect(parseLogsArgs(bad)).toBeUndefined();
  });

  it("/retry ID… | all", () => {
    expect(parseRetryArgs("all")).toBe("all");
    expect(parseRetryArgs("#15")).toEqual([15]);
    expect(parseRetryArgs("15 16, 15")).toEqual([15, 16]);
    for (const bad of ["", "all 15", "fifteen", "-3"]) expect(parseRetryArgs(bad)).toBeUndefined();
  });

  it("/export [days] [full]", () => {
    expect(parseExportArgs("")).toEqual({ days: 7, full: false });
    expect(parseExportArgs("30")).toEqual({ days: 30, full: false });
    expect(parseExportArgs("30 full")).toEqual({ days: 30, full: true });
    expect(parseExportArgs("full")).toEqual({ days: 7, full: true });
    for (const bad of ["0", "3651", "full 30", "soon", "7 7"]) expect(parseExportArgs(bad)).toBeUndefined();
  });
});
