import type { MockBrainysoft, MockFault } from "../fakes/mock-brainysoft.js";

/** The outages the sandbox can switch on, as the mock Brainysoft plays them. */
export const DEMO_FAULTS = {
  none: "none",
  // What an nginx in front of a core that is being restarted answers.
  down: "http503",
  // No answer at all: the bot's time limit runs out, as with a core that is stuck.
  slow: "hang",
  "bad-credentials": "unauthorized",
} as const satisfies Record<string, MockFault>;

export type DemoFault = keyof typeof DEMO_FAULTS;

export const isDemoFault = (value: unknown): value is DemoFault => typeof value === "string" && Object.hasOwn(DEMO_FAULTS, value);

/** One lead request as the CRM panel shows it. */
export interface CrmRow {
  at: number;
  firstName: string;
  phone: string;
  /** "created" with an id, the outage that answered it, or "refused" (the lead itself was not accepted). */
  outcome: "created" | "refused" | Exclude<DemoFault, "none">;
  id?: number;
}

export interface CrmView {
  readonly fault: DemoFault;
  setFault(fault: DemoFault): void;
  /** Newest first. */
  rows(): CrmRow[];
}

/**
 * What the mock CRM received, with the reason each request failed. The mock only keeps the requests, so
 * the switches are remembered with their times: a request was answered by the outage on when it arrived.
 */
export function createCrmView(crm: MockBrainysoft): CrmView {
  const switches: { at: number; fault: DemoFault }[] = [{ at: 0, fault: "none" }];
  const faultAt = (at: number): DemoFault => switches.findLast((s) => s.at <= at)?.fault ?? "none";
  const text = (value: unknown): string => (typeof value === "string" ? value : "");

  return {
    get fault() {
      return switches[switches.length - 1]?.fault ?? "none";
    },
    setFault(fault) {
      crm.setFault(DEMO_FAULTS[fault]);
      switches.push({ at: Date.now(), fault });
    },
    rows() {
      return crm.received
        .map((lead): CrmRow => {
          const row = { at: lead.at, firstName: text(lead.body.firstName), phone: text(lead.body.mobilePhone) };
          if (lead.id !== undefined) return { ...row, outcome: "created", id: lead.id };
          const fault = faultAt(lead.at);
          return { ...row, outcome: fault === "none" ? "refused" : fault };
        })
        .reverse();
    },
  };
}
