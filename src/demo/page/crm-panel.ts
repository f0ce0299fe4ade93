/** The right-hand panel: Brainysoft's outage switches, the bot's queue, the leads the CRM received, the admin event feed. */
import type { CrmRow, DemoFault } from "../crm-view.js";
import type { LeadEvent } from "../../store/types.js";
import { demoApi } from "./demo-api.js";
import { clockSeconds, el, errorText } from "./dom.js";
import type { Ui } from "./ui.js";

const FAULT_LABELS: Record<DemoFault, string> = {
  none: "Working",
  down: "Down (503)",
  slow: "Too slow (no answer in 3 s)",
  "bad-credentials": "Refusing the credentials (401)",
};
type Tone = "ok" | "bad" | "warn" | "";
const OUTCOMES: Record<CrmRow["outcome"], [Tone, string]> = {
  created: ["ok", "created"],
  down: ["bad", "503: not created"],
  slow: ["warn", "no answer: timed out"],
  "bad-credentials": ["bad", "401: credentials refused"],
  refused: ["bad", "400: refused"],
};

export interface CrmPanel {
  refreshCrm(): Promise<void>;
  refreshEvents(): Promise<void>;
}

/** Each refresh redraws only when the answer changed, so a click on a switch is not lost to a redraw. */
export function createCrmPanel(ui: Ui, faults: readonly DemoFault[], toast: (text: string) => void): CrmPanel {
  let lastCrm = "";
  let lastEvents = "";

  async function refreshCrm(): Promise<void> {
    const data = await demoApi.crm();
    const snapshot = JSON.stringify(data);
    if (snapshot === lastCrm) return;
    lastCrm = snapshot;

    ui.faults.replaceChildren();
    for (const fault of faults) {
      const button = el("button");
      button.type = "button";
      button.dataset.fault = fault;
      button.setAttribute("aria-pressed", String(fault === data.fault));
      button.append(el("span", "dot"), document.createTextNode(FAULT_LABELS[fault]));
      button.addEventListener("click", async () => {
        await demoApi.setFault(fault).catch((error: unknown) => toast(errorText(error)));
        await refreshCrm().catch(() => undefined);
      });
      ui.faults.append(button);
    }

    const q = data.queue;
    ui.queue.replaceChildren("The bot's database: ");
    const parts: [string, number | undefined][] = [
      ["waiting to be sent", q.pending],
      ["delivered", q.delivered],
      ["duplicates", q.duplicate],
      ["rejected", q.rejected],
      ["failed", q.failed],
    ];
    parts.forEach(([label, count], i) => {
      if (i > 0) ui.queue.append(" · ");
      ui.queue.append(el("b", "", String(count ?? 0)), ` ${label}`);
    });

    ui.crmLeads.replaceChildren();
    if (data.leads.length === 0) ui.crmLeads.append(el("li", "empty", "Nothing yet. Leave a lead as a customer."));
    for (const lead of data.leads) ui.crmLeads.append(leadItem(lead));
  }

  async function refreshEvents(): Promise<void> {
    const { events } = await demoApi.events();
    const snapshot = JSON.stringify(events);
    if (snapshot === lastEvents) return;
    lastEvents = snapshot;
    ui.events.replaceChildren();
    if (events.length === 0) ui.events.append(el("li", "empty", "No events yet. What happens to leads shows here, as an admin sees it."));
    for (const event of events) ui.events.append(eventItem(event));
  }

  return { refreshCrm, refreshEvents };
}

function leadItem(lead: CrmRow): HTMLLIElement {
  const item = el("li");
  item.dataset.outcome = lead.outcome;
  const [tone, label] = OUTCOMES[lead.outcome];
  const line = el("div", "line1");
  if (lead.id !== undefined) line.append(el("span", "lead-number", `№ ${lead.id}`));
  line.append(el("span", `tag ${tone}`, label), el("span", "time", clockSeconds(lead.at)));
  item.append(line, el("div", "detail", `firstName: ${lead.firstName || "—"} · mobilePhone: ${lead.phone || "—"}`));
  return item;
}

function eventItem(event: LeadEvent): HTMLLIElement {
  const item = el("li");
  const line = el("div", "line1");
  line.append(
    el("span", `tag ${eventTone(event.kind)}`, event.kind),
    el("span", "", event.actor),
    el("span", "time", clockSeconds(event.at)),
  );
  const facts = [
    event.leadId !== undefined ? `lead ${event.leadId}` : "",
    event.brainysoftId !== undefined ? `№ ${event.brainysoftId}` : "",
    event.maskedPhone ?? "",
    event.source ? `source ${event.source}` : "",
    event.detail ?? "",
  ].filter(Boolean);
  item.append(line);
  if (facts.length) item.append(el("div", "detail", facts.join(" · ")));
  return item;
}

function eventTone(kind: string): Tone {
  if (/error|fail|reject|outage|refus/.test(kind)) return "bad";
  if (/queue|retr|duplicate|limit/.test(kind)) return "warn";
  if (/deliver|ok|recover|created/.test(kind)) return "ok";
  return "";
}
