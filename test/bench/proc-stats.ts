/**
 * A process's CPU time and peak memory, read from outside through Linux's /proc, so the measured bot
 * needs no hook and the bench's own work is not counted.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's times (100 on practically every Linux). */
function clockTicks(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

export interface ProcReader {
  /** User + system CPU time the process has used so far, in ms (the resolution of a clock tick, usually 10 ms). */
  cpuMs(pid: number): number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(pid: number): number;
  /** Resident set size now (VmRSS), in bytes. */
  rssBytes(pid: number): number;
}

export function procReader(): ProcReader {
  const msPerTick = 1000 / clockTicks();
  const statusField = (pid: number, field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return {
    cpuMs(pid) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields 14 (utime) and 15 (stime) of the whole line are 12 and 13 here (the list starts at field 3).
      return (Number(fields[11]) + Number(fields[12])) * msPerTick;
    },
    peakRssBytes: (pid) => statusField(pid, "VmHWM"),
    rssBytes: (pid) => statusField(pid, "VmRSS"),
  };
}
