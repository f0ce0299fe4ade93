import { describe, expect, it } from "vitest";
import { patternOf, textOf, valueIn } from "./locale.js";

describe("patternOf", () => {
  it("matches a message whatever its free variables hold, in any variant they select", () => {
    const recovered = patternOf("alert-crm-recovered", "ru", { whole: true });
    expect(recovered.test(textOf("alert-crm-recovered", { duration: "5 с", failures: 3, pending: 0 }))).toBe(true);
    expect(recovered.test(textOf("alert-crm-recovered", { duration: "5 с", failures: 3, pending: 4 }))).toBe(true);
    const more = patternOf("alert-leads-failed-more", "ru", { whole: true });
    for (const count of [1, 2, 5]) expect(more.test(textOf("alert-leads-failed-more", { count, duration: "5 с" }))).toBe(true);
    // Tags inside the message, around a variable too, are gone as in what the person reads.
    expect(patternOf("consent-ask", "ru", { whole: true }).test(textOf("consent-ask", { url: "https://example.com/?a=1" }))).toBe(true);
  });

  it("holds a variable `vars` fixes to that value and its variant, and tells other messages apart", () => {
    const offered = patternOf("name-ask", "ru", { whole: true, vars: { suggested: "yes" } });
    expect(offered.test(textOf("name-ask", { suggested: "yes" }))).toBe(true);
    expect(offered.test(textOf("name-ask", { suggested: "no" }))).toBe(false);
    const letters = patternOf("phone-refused", "ru", { whole: true, vars: { reason: "letters" } });
    expect(letters.test(textOf("phone-refused", { reason: "letters" }))).toBe(true);
    expect(letters.test(textOf("phone-refused", { reason: "too-short" }))).toBe(false);
    expect(patternOf("lead-created", "ru", { whole: true }).test(textOf("lead-queued"))).toBe(false);
    // A number picks its plural form, as Fluent does.
    const two = patternOf("alert-leads-failed-more", "ru", { whole: true, vars: { count: "2" } });
    expect(two.test(textOf("alert-leads-failed-more", { count: 2, duration: "5 с" }))).toBe(true);
    expect(two.test(textOf("alert-leads-failed-more", { count: 5, duration: "5 с" }))).toBe(false);
    expect(patternOf("phone-ask", "ru", { vars: { name: "Анна" } }).test(textOf("phone-ask", { name: "Борис" }))).toBe(false);
  });

  it("reads a variable's value back from a message", () => {
    const text = textOf("alert-crm-recovered", { duration: "5 с", failures: 31, pending: 0 });
    expect(valueIn("alert-crm-recovered", "failures", text)).toBe("31");
    expect(valueIn("lead-queued", "failures", text)).toBeUndefined();
  });
});
