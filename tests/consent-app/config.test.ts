import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { deriveCookieSecret } from "@/common/cookie-secret.ts";
import { demoClientSecret } from "@/common/demo-client.ts";
import { listenerUrl, ownListener, setOwnListener } from "@/common/own-listener.ts";
import { ConfigError, databaseUrlFrom, loadAppConfig } from "@/lib/config/env.ts";

const SYSTEM_SECRET = "a-system-secret-0123456789";

describe("consent app configuration", () => {
  test("the embedded server's own listener: the address it is bound to, loopback when it listens on all of them", () => {
    assert.equal(listenerUrl({ address: "127.0.0.1", port: 8080 }), "http://127.0.0.1:8080");
    assert.equal(listenerUrl({ address: "0.0.0.0", port: 3000 }), "http://127.0.0.1:3000");
    // Node binds `::` dual-stack: IPv4's loopback reaches it.
    assert.equal(listenerUrl({ address: "::", port: 3000 }), "http://127.0.0.1:3000");
    assert.equal(listenerUrl({ address: "10.1.2.3", port: 4000 }), "http://10.1.2.3:4000");
    assert.equal(listenerUrl({ address: "::1", port: 3000 }), "http://[::1]:3000");
    assert.equal(listenerUrl({ address: "2001:db8::7", port: 443 }), "http://[2001:db8::7]:443");
    // A zone cannot be written in a URL: the app then keeps ISSUER.
    assert.equal(listenerUrl({ address: "fe80::1%eth0", port: 3000 }), undefined);
  });

  test("the app calls its embedded server on the listener the server set in this process, only there; HYDRA_URL wins", () => {
    const before = ownListener();
    assert.equal(before, undefined, "nothing in the test process (as in the CLI) has set it");
    assert.equal(
      loadAppConfig({ SYSTEM_SECRET, ISSUER: "https://login.example.com", SMTP_URL: "log" }).hydra.url,
      "https://login.example.com",
    );
    try {
      setOwnListener("http://127.0.0.1:8080");
      const embedded = loadAppConfig({ SYSTEM_SECRET, ISSUER: "https://login.example.com", SMTP_URL: "log" });
      assert.equal(embedded.hydra.url, "http://127.0.0.1:8080");
      // The listener is no place for a browser: redirects still go to ISSUER only.
      assert.deepEqual(embedded.redirectOrigins, ["https://login.example.com"]);
      const external = loadAppConfig({
        SYSTEM_SECRET,
        ISSUER: "https://login.example.com",
        SMTP_URL: "log",
        HYDRA_URL: "https://hydra.example.com",
        HYDRA_CLIENT_SECRET: "s",
      });
      assert.equal(external.hydra.url, "https://hydra.example.com");
      assert.deepEqual(external.redirectOrigins, ["https://login.example.com", "https://hydra.example.com"]);
      assert.equal(
        loadAppConfig({
          SYSTEM_SECRET,
          ISSUER: "https://login.example.com",
          SMTP_URL: "log",
          HYDRA_URL: "https://login.example.com",
        }).hydra.url,
        "https://login.example.com",
        "HYDRA_URL set to ISSUER is obeyed",
      );
    } finally {
      setOwnListener(undefined);
    }
    assert.equal(loadAppConfig({ SYSTEM_SECRET }).hydra.url, "http://localhost:3000");
  });

  test("embedded defaults: everything derived from SYSTEM_SECRET and ISSUER", () => {
    const config = loadAppConfig({ SYSTEM_SECRET });
    assert.equal(config.issuer, "http://localhost:3000");
    assert.equal(config.hydra.url, "http://localhost:3000");
    assert.equal(config.hydra.clientId, EMBEDDED_CONSENT_CLIENT_ID);
    assert.equal(config.hydra.clientSecret, embeddedConsentClientSecret(SYSTEM_SECRET));
    assert.equal(config.cookieSecret, deriveCookieSecret(SYSTEM_SECRET));
    assert.equal(config.secureCookies, false);
    assert.equal(config.trustedProxies, 0);
    assert.deepEqual(config.redirectOrigins, ["http://localhost:3000"]);
    assert.equal(config.demo, undefined);
    assert.equal(config.databaseUrl, "file:./data/portico.db");
    assert.deepEqual(config.mail, {
      smtpUrl: undefined,
      from: '"Portico" <no-reply@localhost>',
      timeoutMs: 30_000,
      ehloName: undefined,
    });
    assert.equal(config.hydraTimeoutMs, 5_000);
    assert.equal(config.signup, "open");
  });

  test("mail and sign-up settings", () => {
    const config = loadAppConfig({
      SYSTEM_SECRET,
      SMTP_URL: "smtps://user:pass@mail.example.com:465",
      MAIL_FROM: "Example <no-reply@example.com>",
      SIGNUP: "closed",
      SMTP_TIMEOUT: "1m",
    });
    assert.deepEqual(config.mail, {
      smtpUrl: "smtps://user:pass@mail.example.com:465",
      from: "Example <no-reply@example.com>",
      timeoutMs: 60_000,
      ehloName: undefined,
    });
    assert.equal(config.signup, "closed");
  });

  test("an external server: HYDRA_URL and the app's own client; its origin is a valid redirect target", () => {
    const config = loadAppConfig({
      ISSUER: "https://login.example.com/",
      SMTP_URL: "log",
      HYDRA_URL: "https://hydra.example.com",
      HYDRA_CLIENT_ID: "consent",
      HYDRA_CLIENT_SECRET: "its-secret",
      HYDRA_TIMEOUT: "2.5s",
      COOKIE_SECRET: "c".repeat(32),
    });
    assert.equal(config.hydraTimeoutMs, 2_500);
    assert.equal(config.issuer, "https://login.example.com");
    assert.equal(config.secureCookies, true);
    assert.deepEqual(config.hydra, {
      url: "https://hydra.example.com",
      clientId: "consent",
      clientSecret: "its-secret",
    });
    assert.deepEqual(config.redirectOrigins, ["https://login.example.com", "https://hydra.example.com"]);
  });

  test("the demo relying party only with PORTICO_DEMO=1", () => {
    const config = loadAppConfig({ SYSTEM_SECRET, PORTICO_DEMO: "1", TRUST_PROXY: "true" });
    assert.equal(config.demo?.clientId, "portico-demo");
    assert.equal(config.demo?.clientSecret, demoClientSecret(SYSTEM_SECRET));
    assert.notEqual(config.demo?.authSecret, config.cookieSecret);
    assert.equal(config.trustedProxies, 1);
  });

  test("bad values stop with a message naming the variable", () => {
    for (const [env, name] of [
      [{ SYSTEM_SECRET: "short" }, "SYSTEM_SECRET"],
      [{ SYSTEM_SECRET, COOKIE_SECRET: "short" }, "COOKIE_SECRET"],
      [{ SYSTEM_SECRET, ISSUER: "not a url" }, "ISSUER"],
      [{ SYSTEM_SECRET, HYDRA_URL: "ftp://x" }, "HYDRA_URL"],
      [{ SYSTEM_SECRET, TRUST_PROXY: "yes" }, "TRUST_PROXY"],
      [{ SYSTEM_SECRET, SMTP_URL: "http://mail.example.com" }, "SMTP_URL"],
      [{ SYSTEM_SECRET, MAIL_FROM: "nobody" }, "MAIL_FROM"],
      [{ SYSTEM_SECRET, SIGNUP: "maybe" }, "SIGNUP"],
      [{}, "SYSTEM_SECRET"],
    ] as const) {
      assert.throws(
        () => loadAppConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, new RegExp(name));
          return true;
        },
      );
    }
    assert.throws(() => databaseUrlFrom({ DATABASE_URL: "mysql://x" }), /DATABASE_URL/);
  });
});
