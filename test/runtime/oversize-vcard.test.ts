/** A contact card with a vCard too large to be an address book's: refused in one clear line, never read. */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_VCARD_BYTES } from "../../src/leads/vcard.js";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { WAIT } from "./helpers.js";

const agent: FakeUser = { id: 7401, first_name: "Оператор", language_code: "ru" };
const englishAgent: FakeUser = { id: 7402, first_name: "Operator", language_code: "en" };

let t: TestApp;
afterEach(async () => t?.close());

/** A well-formed card whose note makes it `bytes` long. */
function vcardOf(bytes: number): string {
  const head = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Петров;Иван;;;\r\nTEL;CELL:+79161234567\r\nNOTE;ENCODING=QUOTED-PRINTABLE:";
  const tail = "\r\nEND:VCARD";
  return head + "=D0=98".repeat(Math.ceil((bytes - head.length - tail.length) / 6)) + tail;
}

describe("an agent's contact card over the size limit", () => {
  it("is refused with the reason, makes no lead, and the next card is handled as usual", async () => {
    t = await startTestApp({ env: { AGENT_IDS: `${agent.id},${englishAgent.id}` } });
    t.telegram.sendContact(agent, { phone_number: "+79776200777", first_name: "Иван", vcard: vcardOf(MAX_VCARD_BYTES + 1_000) });
    const refusal = await t.telegram.nextMessage(agent.id, WAIT);
    expect(refusal.plainText).toBe(
      textOf("agent-refused", { label: "Иван +79776200777", why: textOf("agent-vcard-too-large", { limitKb: 64 }) }),
    );

    t.telegram.sendContact(englishAgent, { phone_number: "", first_name: "", vcard: vcardOf(200_000) });
    const english = await t.telegram.nextMessage(englishAgent.id, WAIT);
    expect(english.plainText).toBe(
      textOf("agent-refused", { label: "vCard", why: textOf("agent-vcard-too-large", { limitKb: 64 }, "en") }, "en"),
    );

    // Just under the limit, the same card is read: its mobile from the vCard becomes the lead.
    t.telegram.sendContact(agent, { phone_number: "", first_name: "", vcard: vcardOf(MAX_VCARD_BYTES - 1_000) });
    expect((await t.telegram.nextMessage(agent.id, WAIT)).plainText).toBe(
      textOf("agent-created", { name: "Иван Петров", phone: "+7 916 123-45-67", number: String(t.crm.created[0]?.id) }),
    );
    expect(t.crm.received.map((r) => r.body.mobilePhone)).toEqual(["79161234567"]);
  });
});
