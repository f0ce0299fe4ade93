import { describe, expect, it } from "vitest";
import { classifyLeadResponse, classifyUnreadableBody, findFieldError, parseLeadId } from "../../src/brainysoft/classify.js";

const j = (v: unknown) => JSON.stringify(v);
const HTML_502 =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

describe("classifyLeadResponse", () => {
  const table: Array<[string, number, string, ReturnType<typeof classifyLeadResponse>["kind"], Record<string, unknown>?]> = [
    ["created, numeric data", 200, j({ status: "ok", timestamp: 1550653059521, data: 3692 }), "created", { leadId: 3692 }],
    ["created, numeric-string data", 200, j({ status: "ok", timestamp: 1, data: "3692" }), "created", { leadId: 3692 }],
    ["created, 201 and status OK", 201, j({ status: "OK", data: 7 }), "created", { leadId: 7 }],
    [
      "first name code in data.code, 400",
      400,
      j({ status: "error", data: { code: "NO_CLIENT_FIRST_NAME_ERROR", message: "x" } }),
      "field-error",
      { field: "firstName" },
    ],
    [
      "phone code in data.code, 400",
      400,
      j({ status: "error", data: { code: "NO_MOBILE_PHONE_ERROR" } }),
      "field-error",
      { field: "mobilePhone" },
    ],
    ["code as the data string", 400, j({ status: "error", data: "NO_MOBILE_PHONE_ERROR" }), "field-error", { field: "mobilePhone" }],
    [
      "code deeply nested in an array",
      422,
      j({ errors: [{ details: { reason: { errorCode: "NO_CLIENT_FIRST_NAME_ERROR" } } }] }),
      "field-error",
      { field: "firstName" },
    ],
    [
      "code inside a message string",
      400,
      j({ status: "error", message: "Validation failed: NO_MOBILE_PHONE_ERROR (mobilePhone)" }),
      "field-error",
      { field: "mobilePhone" },
    ],
    [
      "status error in a 200 with code",
      200,
      j({ status: "error", timestamp: 1, data: { code: "NO_CLIENT_FIRST_NAME_ERROR" } }),
      "field-error",
      { field: "firstName" },
    ],
    [
      "both codes: first name first",
      400,
      j({ errors: ["NO_MOBILE_PHONE_ERROR", "NO_CLIENT_FIRST_NAME_ERROR"] }),
      "field-error",
      { field: "firstName" },
    ],
    [
      "code in a 500 still a field error",
      500,
      j({ status: "error", data: { code: "NO_MOBILE_PHONE_ERROR" } }),
      "field-error",
      { field: "mobilePhone" },
    ],
    ["code in plain text body", 400, "NO_MOBILE_PHONE_ERROR", "field-error", { field: "mobilePhone" }],
    ["401", 401, j({ status: "error", data: { code: "UNAUTHORIZED" } }), "auth", { detail: "HTTP 401" }],
    ["403 with HTML", 403, "<html>Forbidden</html>", "auth"],
    ["401 even naming a field code", 401, j({ data: "NO_MOBILE_PHONE_ERROR" }), "auth"],
    ["408", 408, j({ status: "error" }), "transient"],
    ["429", 429, "", "transient"],
    ["500 JSON", 500, j({ status: "error", data: { code: "INTERNAL_ERROR" } }), "transient", { detail: "HTTP 500 INTERNAL_ERROR" }],
    ["502 HTML page from a proxy", 502, HTML_502, "transient", { detail: "HTTP 502 non-JSON body" }],
    ["503 empty", 503, "", "transient"],
    ["404 HTML (wrong base URL)", 404, "<html>Not Found</html>", "transient"],
    ["400 empty body", 400, "", "rejected", { detail: "HTTP 400 empty body" }],
    ["400 HTML from a proxy", 400, "<html>400 Bad Request</html>", "rejected", { detail: "HTTP 400 non-JSON body" }],
    [
      "400 unknown code",
      400,
      j({ status: "error", data: { code: "VALIDATION_ERROR", message: "bad" } }),
      "rejected",
      { detail: "HTTP 400 VALIDATION_ERROR" },
    ],
    ["404 JSON", 404, j({ timestamp: "2024-01-01", status: 404, error: "Not Found", path: "/bs-core/main/leads" }), "rejected"],
    [
      "200 status error without known code",
      200,
      j({ status: "error", data: { code: "CHANNEL_NOT_FOUND" } }),
      "rejected",
      { detail: "HTTP 200 CHANNEL_NOT_FOUND status not ok" },
    ],
    ["302 JSON", 302, j({ status: "error" }), "transient"],
    ["302 empty (not followed)", 302, "", "transient", { detail: "HTTP 302 redirect, not followed" }],
  ];

  it.each(table)("%s", (_name, status, body, kind, extra) => {
    const result = classifyLeadResponse(status, body);
    expect(result.kind).toBe(kind);
    if (extra !== undefined) expect(result).toMatchObject(extra);
  });

  // Brainysoft may have created the lead: held for a human, never re-sent (a retry could duplicate it).
  const maybeCreated: Array<[string, number, string, string]> = [
    ["200 empty body", 200, "", "HTTP 200 empty body"],
    ["204 no content", 204, "", "HTTP 204 empty body"],
    ["200 HTML maintenance page", 200, "<html>maintenance</html>", "HTTP 200 non-JSON body"],
    ["200 JSON array", 200, "[1]", "HTTP 200 non-JSON body"],
    ["200 JSON string", 200, j("ok"), "HTTP 200 non-JSON body"],
    ["200 no status, numeric data", 200, j({ data: 5 }), "HTTP 200 no status (data: number)"],
    ["200 ok, object data", 200, j({ status: "ok", data: { id: 5 } }), "HTTP 200 ok without lead id (data: object)"],
    ["200 ok, null data", 200, j({ status: "ok", data: null }), "HTTP 200 ok without lead id (data: null)"],
    ["200 ok, non-numeric string", 200, j({ status: "ok", data: "created" }), "HTTP 200 ok without lead id (data: string)"],
    ["200 ok, zero id", 200, j({ status: "ok", data: 0 }), "HTTP 200 ok without lead id (data: number)"],
  ];
  it.each(maybeCreated)("issue 12.3: a 2xx that names no lead is unconfirmed, not transient: %s", (_name, status, body, detail) => {
    expect(classifyLeadResponse(status, body)).toEqual({ kind: "unconfirmed", detail });
  });

  it("names a redirect's target by its origin only", () => {
    expect(classifyLeadResponse(302, "", "https://user:pw@login.example.com/sso?phone=79776200777")).toEqual({
      kind: "transient",
      detail: "HTTP 302 redirect to https://login.example.com, not followed",
    });
    expect(classifyLeadResponse(301, "", "/elsewhere")).toMatchObject({ kind: "transient", detail: "HTTP 301 redirect, not followed" });
  });

  it("never copies free text (names, phone digits) from the body into the detail", () => {
    const r = classifyLeadResponse(400, j({ status: "error", message: "Client Фридрих 79776200777 exists", code: "Фридрих 79776200777" }));
    expect(r.kind).toBe("rejected");
    if (r.kind === "rejected") {
      expect(r.detail).not.toMatch(/7977|Фридрих/);
    }
  });
});

describe("helpers", () => {
  it("parseLeadId accepts positive integers and digit strings only", () => {
    expect(parseLeadId(3692)).toBe(3692);
    expect(parseLeadId(" 42 ")).toBe(42);
    for (const bad of [0, -1, 1.5, "1e3", "", "abc", null, undefined, {}, Number.MAX_SAFE_INTEGER + 2]) {
      expect(parseLeadId(bad)).toBeUndefined();
    }
  });

  it("findFieldError ignores keys and unrelated strings", () => {
    expect(findFieldError({ NO_MOBILE_PHONE_ERROR: 1 })).toBeUndefined();
    expect(findFieldError({ a: { b: ["x", "y"] } })).toBeUndefined();
    expect(findFieldError({ a: { b: ["x", "… NO_MOBILE_PHONE_ERROR …"] } })).toBe("mobilePhone");
  });
});

describe("classifyUnreadableBody", () => {
  const table: Array<[string, number, "too-big" | "cut-off", ReturnType<typeof classifyUnreadableBody>["kind"]]> = [
    ["2xx too big", 200, "too-big", "unconfirmed"],
    ["2xx cut off", 200, "cut-off", "unconfirmed"],
    ["201 cut off", 201, "cut-off", "unconfirmed"],
    ["5xx too big", 502, "too-big", "transient"],
    ["5xx cut off", 500, "cut-off", "transient"],
    ["400 cut off: read it again", 400, "cut-off", "transient"],
    ["400 too big: judged as a body that is not JSON", 400, "too-big", "rejected"],
    ["401 either way", 401, "cut-off", "auth"],
    ["403 too big", 403, "too-big", "auth"],
    ["302 too big", 302, "too-big", "transient"],
  ];
  it.each(table)("%s", (_name, status, why, kind) => {
    expect(classifyUnreadableBody(status, why, "x").kind).toBe(kind);
  });

  it("issue 12.10: a 2xx body over the cap is unconfirmed, with the reason for admins", () => {
    expect(classifyUnreadableBody(200, "too-big", "body over 1048576 bytes, not read")).toEqual({
      kind: "unconfirmed",
      detail: "HTTP 200 body over 1048576 bytes, not read",
    });
  });
});
