import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SOCKET_ADDRESS_HEADER } from "@/common/client-address.ts";
import { clientAddress, normalizeAddress } from "@/lib/security/client-address.ts";
import { csrfTokenMatches } from "@/lib/security/csrf.ts";
import { contentSecurityPolicy, securityHeaders } from "@/lib/security/headers.ts";
import { isAllowedRedirect, localReturnPath } from "@/lib/security/redirects.ts";
import {
  anonymousSession,
  sealSession,
  sessionCookieName,
  sessionCookieOptions,
  signedInSession,
  unsealSession,
} from "@/lib/session/seal.ts";

const SECRET = "a-cookie-secret-of-at-least-32-characters";

describe("client address for throttling", () => {
  const headers = (socket: string | undefined, forwarded?: string) => {
    const h = new Headers();
    if (socket !== undefined) h.set(SOCKET_ADDRESS_HEADER, socket);
    if (forwarded !== undefined) h.set("x-forwarded-for", forwarded);
    return h;
  };

  test("by default only the socket counts; X-Forwarded-For is ignored", () => {
    assert.equal(clientAddress(headers("10.0.0.5", "1.2.3.4"), 0), "10.0.0.5");
    assert.equal(clientAddress(headers(undefined, "1.2.3.4"), 0), undefined);
  });

  test("behind N trusted proxies, the entry N places from the right", () => {
    assert.equal(clientAddress(headers("10.0.0.1", "6.6.6.6, 203.0.113.7"), 1), "203.0.113.7");
    assert.equal(clientAddress(headers("10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2"), 2), "203.0.113.7");
    assert.equal(clientAddress(headers("10.0.0.1"), 1), "10.0.0.1");
  });

  test("one spelling per address; IPv6 by /64", () => {
    assert.equal(normalizeAddress("::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(normalizeAddress("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(normalizeAddress("2001:0db8:0001:0002:ffff:0:0:9"), "2001:db8:1:2::/64");
    assert.equal(normalizeAddress("::1"), "0:0:0:0::/64");
  });
});

describe("redirects", () => {
  const allowed = ["https://auth.example.com", "http://127.0.0.1:4444"];

  test("only to the allowed origins, over http(s)", () => {
    assert.ok(isAllowedRedirect("https://auth.example.com/oauth2/auth?consent=x", allowed));
    assert.ok(isAllowedRedirect("http://127.0.0.1:4444/oauth2/auth", allowed));
    for (const url of [
      "https://evil.example/oauth2/auth",
      "https://auth.example.com.evil.example/",
      "https://auth.example.com:8443/",
      "javascript:alert(1)",
      "//auth.example.com/",
      "not a url",
    ]) {
      assert.ok(!isAllowedRedirect(url, allowed), url);
    }
  });

  test("return paths after sign-in stay on this site", () => {
    assert.equal(localReturnPath("/account"), "/account");
    assert.equal(localReturnPath("/consent?consent=abc"), "/consent?consent=abc");
    assert.equal(localReturnPath("/account/../consent?x=1"), "/consent?x=1");
    assert.equal(localReturnPath("/a/./b"), "/a/b");
    for (const value of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example/",
      "account",
      "/\t/evil.example",
      7,
      // Inputs that only become `//host` once normalised: the result is what must be checked.
      "/.//evil.example/x",
      "/..//evil.example",
      "/%2e//evil.example",
      "/%2E%2E//evil.example",
      "/a/..//evil.example",
      "/a/../..//evil.example",
      "/./\\evil.example",
      "/.\\/evil.example",
      "/\x7f/evil.example",
    ]) {
      assert.equal(localReturnPath(value), undefined, String(value));
    }
  });
});

describe("CSRF tokens", () => {
  test("match only the same string", () => {
    const { csrf } = anonymousSession();
    assert.ok(csrfTokenMatches(csrf, csrf));
    assert.ok(!csrfTokenMatches(csrf, `${csrf}x`));
    assert.ok(!csrfTokenMatches(csrf, csrf.toUpperCase()));
    assert.ok(!csrfTokenMatches(csrf, undefined));
    assert.ok(!csrfTokenMatches(csrf, ""));
  });
});

describe("security headers", () => {
  test("a strict CSP with the nonce, no framing, no referrer, no caching", () => {
    const csp = contentSecurityPolicy("abc123", false);
    assert.match(csp, /script-src 'self' 'nonce-abc123' 'strict-dynamic'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const headers = securityHeaders("abc123", true);
    assert.equal(headers["x-frame-options"], "DENY");
    assert.equal(headers["referrer-policy"], "no-referrer");
    assert.equal(headers["cache-control"], "no-store");
    assert.match(headers["content-security-policy"] ?? "", /upgrade-insecure-requests/);
    assert.ok(headers["strict-transport-security"]);
    assert.equal(securityHeaders("n", false)["strict-transport-security"], undefined);
  });
});

describe("sealed sessions", () => {
  test("round-trip, and every new session has its own CSRF token", async () => {
    const session = signedInSession("a-secret-session-id-of-at-least-32-chars", true);
    const sealed = await sealSession(session, SECRET);
    assert.deepEqual(await unsealSession(sealed, SECRET), session);
    assert.notEqual(anonymousSession().csrf, anonymousSession().csrf);
    assert.notEqual(signedInSession("a-secret-session-id-of-at-least-32-chars", false).csrf, session.csrf);
  });

  test("a tampered, foreign or malformed cookie is no session", async () => {
    const sealed = await sealSession(anonymousSession(), SECRET);
    assert.equal(await unsealSession(`${sealed.slice(0, 40)}x${sealed.slice(41)}`, SECRET), undefined);
    assert.equal(await unsealSession(sealed, "another-secret-of-at-least-32-characters"), undefined);
    assert.equal(await unsealSession("garbage", SECRET), undefined);
    assert.equal(await unsealSession(undefined, SECRET), undefined);
  });

  test("cookies: HttpOnly, SameSite=Lax, Secure and __Host- on https; 30 days only with Remember me", () => {
    assert.equal(sessionCookieName(true), "__Host-portico-session");
    assert.equal(sessionCookieName(false), "portico-session");
    const remembered = sessionCookieOptions(
      signedInSession("a-secret-session-id-of-at-least-32-chars", true),
      true,
    );
    assert.deepEqual(remembered, {
      httpOnly: true,
      sameSite: "lax",
      secure: true,
      path: "/",
      maxAge: 30 * 24 * 3600,
    });
    const browserSession = sessionCookieOptions(
      signedInSession("a-secret-session-id-of-at-least-32-chars", false),
      false,
    );
    assert.equal("maxAge" in browserSession, false);
    assert.equal(browserSession.secure, false);
  });
});
