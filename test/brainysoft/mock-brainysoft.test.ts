import { describe, expect, it } from "vitest";
import { request } from "undici";
import { MOCK_DEFAULT_TOKEN, startMockBrainysoft } from "../../src/fakes/mock-brainysoft.js";

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });

describe("mock Brainysoft server", () => {
  it("close() ends a hanging connection", async () => {
    const mock = await startMockBrainysoft();
    mock.setFault("hang-body");
    const res = await post(`${mock.baseUrl}/main/leads`, { firstName: "A", mobilePhone: "1" }, { bsauth: MOCK_DEFAULT_TOKEN });
    expect(res.statusCode).toBe(200);
    const body = res.body.text().catch((e: unknown) => e);
    const started = Date.now();
    await mock.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await body).toBeInstanceOf(Error);
    expect(mock.received).toHaveLength(1);
    expect(mock.created).toHaveLength(0);
  });

  it("answers documented shapes: envelope, login header, 401, 404, field errors", async () => {
    const mock = await startMockBrainysoft({ login: { userName: "u", password: "p", customerKey: "k", issuedToken: "T" }, firstId: 5 });
    try {
      const bad = await post(`${mock.baseUrl}/main/login`, { userName: "u", password: "p" }, { "customer-key": "x" });
      expect(bad.statusCode).toBe(401);
      await bad.body.dump();
      const login = await post(`${mock.baseUrl}/main/login`, { userName: "u", password: "p" }, { "customer-key": "k" });
      expect(login.statusCode).toBe(200);
      expect(login.headers.bsauth).toBe("T");
      expect(await login.body.json()).toMatchObject({ status: "ok", timestamp: expect.any(Number) });
      expect(mock.logins).toBe(1);

      const noName = await post(`${mock.baseUrl}/main/leads`, { mobilePhone: "79776200777" }, { bsauth: "T" });
      expect(noName.statusCode).toBe(400);
      expect(await noName.body.json()).toMatchObject({ status: "error", data: { code: "NO_CLIENT_FIRST_NAME_ERROR" } });
      const noPhone = await post(`${mock.baseUrl}/main/leads`, { firstName: "A" }, { bsauth: "T" });
      expect(await noPhone.body.json()).toMatchObject({ status: "error", data: { code: "NO_MOBILE_PHONE_ERROR" } });

      const ok = await post(`${mock.baseUrl}/main/leads`, { firstName: "A", mobilePhone: "1" }, { bsauth: "T" });
      expect(await ok.body.json()).toMatchObject({ status: "ok", data: 5 });

      mock.revokeTokens();
      const revoked = await post(`${mock.baseUrl}/main/leads`, { firstName: "A", mobilePhone: "1" }, { bsauth: "T" });
      expect(revoked.statusCode).toBe(401);
      await revoked.body.dump();

      const missing = await request(`${mock.baseUrl}/main/nothing`);
      expect(missing.statusCode).toBe(404);
      expect(await missing.body.json()).toMatchObject({ status: "error" });
      expect(mock.received).toHaveLength(4);
      expect(mock.created.map((c) => c.id)).toEqual([5]);
    } finally {
      await mock.close();
    }
  });

  it("waitForCreated resolves on arrival and rejects on timeout", async () => {
    const mock = await startMockBrainysoft();
    try {
      const waiting = mock.waitForCreated(1, 2000);
      const res = await post(`${mock.baseUrl}/main/leads`, { firstName: "A", mobilePhone: "1" }, { bsauth: MOCK_DEFAULT_TOKEN });
      await res.body.dump();
      expect(await waiting).toHaveLength(1);
      await expect(mock.waitForCreated(2, 50)).rejects.toThrow(/1\/2/);
    } finally {
      await mock.close();
    }
  });
});
