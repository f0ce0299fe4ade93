import { existsSync, mkdirSync } from "node:fs";
import { Writable } from "node:stream";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/demo/sandbox.js";
import { patternOf, textOf } from "../harness/locale.js";

// Debian's chromium package; .ci/run installs it when missing. Without it this test fails, it does not skip.
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = "test-output";
const WAIT = { timeout: 15_000 };

let browser: Browser;
let sandbox: Sandbox;
let page: Page;
/** Script errors and Content-Security-Policy violations the page reported. */
let pageErrors: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); .ci/run does this`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);
afterAll(async () => browser?.close());

beforeEach(async () => {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  sandbox = await startSandbox({ port: 0, logDestination: quiet });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(sandbox.url);
});
afterEach(async () => {
  await page?.close();
  await sandbox?.stop();
});

const botSaid = (text: string | RegExp) => page.locator(".message-list.active .row.bot", { hasText: text });

async function be(personaKey: string): Promise<void> {
  await page.locator(`.person[data-persona="${personaKey}"]`).click();
}

/** START, a typed name, then the "share my number" button of the bot's keyboard. */
async function leaveLead(name: string, nameQuestion: RegExp): Promise<void> {
  await page.locator("#start").click();
  await botSaid(nameQuestion).waitFor(WAIT);
  await page.locator("#text").fill(name);
  await page.locator("#text").press("Enter");
  const share = page.locator("#reply-keyboard button[data-request-contact]");
  await share.waitFor(WAIT);
  await share.click();
}

describe("the sandbox page", () => {
  it("takes a customer's lead from START to the number, and shows it in the CRM panel", async () => {
    await expect.poll(() => page.locator(".person").count(), WAIT).toBe(4);
    await leaveLead("Фридрих", patternOf("name-ask", "ru"));

    const [lead] = await sandbox.crm.waitForCreated(1, 15_000);
    expect(lead?.body).toEqual({ firstName: "Фридрих", mobilePhone: "79776200777" });
    const confirmation = botSaid(`№ ${lead?.id}`);
    await confirmation.waitFor(WAIT);
    // The bubble's text, without its time: the whole confirmation, for the number shared from the persona (79776200777).
    expect(await confirmation.locator(".content").textContent()).toBe(
      textOf("lead-created", { number: String(lead?.id), phone: "+7 977 620-07-77" }),
    );
    // The bot's <b> arrives as bold, not as text with tags in it.
    expect(await confirmation.locator("b").textContent()).toBe(String(lead?.id));
    // The keyboard went away with the confirmation (remove_keyboard).
    await page.locator("#reply-keyboard").waitFor({ state: "hidden", ...WAIT });

    const crmRow = page.locator("#crm-leads li", { hasText: `№ ${lead?.id}` });
    await crmRow.waitFor(WAIT);
    expect(await crmRow.textContent()).toContain("79776200777");
    await expect.poll(() => page.locator("#queue").textContent(), WAIT).toMatch(/1 delivered/);
    // The admin event feed shows the bot's journal (what it holds is the journal's business, not the page's).
    await page.locator("#events li:not(.empty)").first().waitFor(WAIT);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/demo-customer.png` });
    expect(pageErrors).toEqual([]);
  });

  it("shows a lead queued while Brainysoft is down, and its number once it is back", async () => {
    await page.locator('#faults button[data-fault="down"]').click();
    await page.locator('#faults button[data-fault="down"][aria-pressed="true"]').waitFor(WAIT);
    await be("customer-en");
    await leaveLead("John", patternOf("name-ask", "en"));

    await botSaid(patternOf("lead-queued", "en")).waitFor(WAIT);
    await page.locator('#crm-leads li[data-outcome="down"]').first().waitFor(WAIT);
    expect(sandbox.crm.created).toHaveLength(0);

    await page.locator('#faults button[data-fault="none"]').click();
    const [lead] = await sandbox.crm.waitForCreated(1, 15_000);
    await botSaid(patternOf("lead-delivered-later", "en", { vars: { number: String(lead?.id) } })).waitFor(WAIT);
    await page.locator("#crm-leads li", { hasText: `№ ${lead?.id}` }).waitFor(WAIT);
    // The other customer's chat was not touched.
    expect(await page.locator('.message-list[data-chat="710001"] .row').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it("lets the agent send a sample contact card and see the bot's answer", async () => {
    await be("agent");
    await page.locator("#send-card").click();
    const card = page.locator(".message-list.active .row.me .contact-card");
    await card.waitFor(WAIT);
    expect(await card.textContent()).toContain("Мария Иванова");
    // The card reached the bot as a contact update: the bot answers in the agent's chat, and only there.
    await page.locator(".message-list.active .row.bot").first().waitFor(WAIT);
    expect(sandbox.telegram.sent(710_001)).toHaveLength(0);
    expect(pageErrors).toEqual([]);
  });

  it("renders bot HTML from a whitelist: no scripts, no javascript: links, no foreign elements", async () => {
    const rendered = await page.evaluate(() => {
      // telegramHtml is the page's own renderer, which src/demo/page/main.ts exposes for this test.
      const render = (window as unknown as { telegramHtml: (html: string) => DocumentFragment }).telegramHtml;
      const box = document.createElement("div");
      box.append(
        render(
          '<b>bold</b> <a href="javascript:alert(1)">bad</a> <a href="https://example.org">good</a><img src=x onerror="alert(1)"><script>alert(1)</script>&lt;i&gt;',
        ),
      );
      return box.innerHTML;
    });
    expect(rendered).toBe(
      '<b>bold</b> <a>bad</a> <a href="https://example.org" target="_blank" rel="noopener noreferrer">good</a>&lt;i&gt;',
    );
  });
});
