/** What a stop signal, the same signal repeated, a later one and a vanished parent do to the bot process. */
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.js";
import { REPEAT_WINDOW_MS, stopOnSignals, type StopSignalsDeps } from "../../src/runtime/stop-signals.js";

let signals: EventEmitter;
let exits: number[];
let lines: Record<string, unknown>[];
let finishStop: (ok: boolean) => void;
let stops: number;

beforeEach(() => {
  vi.useFakeTimers();
  signals = new EventEmitter();
  exits = [];
  lines = [];
  stops = 0;
});
afterEach(() => vi.useRealTimers());

function watch(extra: Partial<StopSignalsDeps> = {}): void {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  stopOnSignals({
    stop: () => {
      stops++;
      return new Promise((resolve, reject) => (finishStop = (ok) => (ok ? resolve() : reject(new Error("store would not close")))));
    },
    exit: (code) => void exits.push(code),
    log: createLogger({ level: "info", destination }),
    signals,
    now: () => Date.now(),
    ...extra,
  });
}

const said = (msg: string) => lines.filter((line) => line.msg === msg);

describe("stop signals", () => {
  it("the first signal stops gracefully and exits 0 once the stop is done", async () => {
    watch();
    signals.emit("SIGTERM", "SIGTERM");
    expect(stops).toBe(1);
    expect(exits).toEqual([]);
    finishStop(true);
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(said("shutting down")).toMatchObject([{ signal: "SIGTERM" }]);
  });

  it("a failed stop exits 1", async () => {
    watch();
    signals.emit("SIGINT", "SIGINT");
    finishStop(false);
    await vi.waitFor(() => expect(exits).toEqual([1]));
    expect(said("shutdown failed")).toHaveLength(1);
  });

  it("the signal delivered again at once (npm passes it on) is the same stop; one after the window exits at once", () => {
    watch();
    signals.emit("SIGINT", "SIGINT");
    signals.emit("SIGINT", "SIGINT");
    vi.advanceTimersByTime(REPEAT_WINDOW_MS - 10);
    signals.emit("SIGTERM", "SIGTERM");
    expect(stops).toBe(1);
    expect(exits).toEqual([]);
    expect(said("signal repeated: already shutting down")).toHaveLength(2);

    vi.advanceTimersByTime(10);
    signals.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([1]);
    expect(said("second signal: exiting at once")).toHaveLength(1);
  });

  it("stops gracefully when the parent it watches is gone, once", async () => {
    let parent = 4242;
    watch({ parentPid: () => parent });
    vi.advanceTimersByTime(10_000);
    expect(stops).toBe(0);

    // npm killed: the bot is re-parented (to init or a subreaper).
    parent = 1;
    vi.advanceTimersByTime(1_000);
    expect(stops).toBe(1);
    expect(said("shutting down")).toMatchObject([{ reason: "parent process gone", parent: 4242 }]);
    vi.advanceTimersByTime(10_000);
    expect(stops).toBe(1);
    finishStop(true);
    await vi.waitFor(() => expect(exits).toEqual([0]));
  });

  it("a parent gone during a stop that a signal began changes nothing", () => {
    let parent = 4242;
    watch({ parentPid: () => parent });
    signals.emit("SIGTERM", "SIGTERM");
    parent = 1;
    vi.advanceTimersByTime(5_000);
    expect(stops).toBe(1);
    expect(exits).toEqual([]);
  });
});
