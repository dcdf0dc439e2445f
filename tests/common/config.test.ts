import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, issuerOf, parseEnvironment } from "@/common/config.ts";
import { EMBEDDED_CONSENT_CLIENT_ID } from "@/common/consent-client.ts";
import { loadAppConfig } from "@/lib/config/env.ts";
import { loadConfig } from "@/server/config/config.ts";

const SYSTEM_SECRET = "test-system-secret-0123456789";

describe("one configuration for both halves", () => {
  const refused: Array<[name: string, env: Record<string, string>, variable: RegExp]> = [
    ["a short SYSTEM_SECRET", { SYSTEM_SECRET: "short" }, /SYSTEM_SECRET/],
    ["a short COOKIE_SECRET", { COOKIE_SECRET: "short" }, /COOKIE_SECRET/],
    ["a BCRYPT_COST out of range", { BCRYPT_COST: "3" }, /BCRYPT_COST/],
    ["a non-numeric BCRYPT_COST", { BCRYPT_COST: "ten" }, /BCRYPT_COST/],
    ["an unparsable duration", { ACCESS_TOKEN_LIFESPAN: "an hour" }, /ACCESS_TOKEN_LIFESPAN/],
    ["a zero duration", { AUTH_CODE_LIFESPAN: "0s" }, /AUTH_CODE_LIFESPAN/],
    [
      "a lifespan under a second (tokens went out expired)",
      { ID_TOKEN_LIFESPAN: "500ms" },
      /ID_TOKEN_LIFESPAN must be at least 1s/,
    ],
    [
      "a lifespan past 1000 years (PostgreSQL cannot store the expiry)",
      { REFRESH_TOKEN_LIFESPAN: "100000000h" },
      /REFRESH_TOKEN_LIFESPAN must be at most 8760000h/,
    ],
    ["an unparsable ISSUER", { ISSUER: "not a url" }, /ISSUER/],
    ["an ISSUER that is not http(s)", { ISSUER: "ftp://auth.example" }, /ISSUER/],
    ["an unparsable HYDRA_URL", { HYDRA_URL: "not a url" }, /HYDRA_URL/],
    ["an unparsable CONSENT_URL", { CONSENT_URL: "/consent" }, /CONSENT_URL/],
    ["a bad DATABASE_URL", { DATABASE_URL: "mysql://x" }, /DATABASE_URL/],
    ["a bad PORT", { PORT: "70000" }, /PORT/],
    ["a bad FORCE_ROOT_CLIENT_CREDENTIALS", { FORCE_ROOT_CLIENT_CREDENTIALS: "no-colon" }, /FORCE_ROOT/],
    [
      "a FORCE_ROOT_CLIENT_CREDENTIALS secret shorter than the API allows",
      { FORCE_ROOT_CLIENT_CREDENTIALS: "root:abc" },
      /FORCE_ROOT_CLIENT_CREDENTIALS: the secret/,
    ],
    [
      "a FORCE_ROOT_CLIENT_CREDENTIALS secret longer than bcrypt reads",
      { FORCE_ROOT_CLIENT_CREDENTIALS: `root:${"s".repeat(73)}` },
      /FORCE_ROOT_CLIENT_CREDENTIALS: the secret/,
    ],
    [
      "a FORCE_ROOT_CLIENT_CREDENTIALS id that is not printable ASCII",
      { FORCE_ROOT_CLIENT_CREDENTIALS: "r\u00f6\u00f6t:correct-horse-battery" },
      /FORCE_ROOT_CLIENT_CREDENTIALS: the id/,
    ],
    ["a HYDRA_TIMEOUT that is no duration", { HYDRA_TIMEOUT: "soon" }, /HYDRA_TIMEOUT must be a duration/],
    ["a HYDRA_TIMEOUT of zero", { HYDRA_TIMEOUT: "0s" }, /HYDRA_TIMEOUT/],
    ["a HYDRA_TIMEOUT over a minute", { HYDRA_TIMEOUT: "2m" }, /HYDRA_TIMEOUT/],
    ["an SMTP_TIMEOUT that is no duration", { SMTP_TIMEOUT: "30" }, /SMTP_TIMEOUT must be a duration/],
    ["an SMTP_TIMEOUT over five minutes", { SMTP_TIMEOUT: "1h" }, /SMTP_TIMEOUT/],
    [
      "a SHUTDOWN_TIMEOUT that is no duration",
      { SHUTDOWN_TIMEOUT: "5" },
      /SHUTDOWN_TIMEOUT must be a duration/,
    ],
    ["a SHUTDOWN_TIMEOUT over five minutes", { SHUTDOWN_TIMEOUT: "10m" }, /SHUTDOWN_TIMEOUT/],
    ["an unknown LOG_LEVEL", { LOG_LEVEL: "verbose" }, /LOG_LEVEL must be error, warn, info, debug/],
    ["WORKERS of zero", { WORKERS: "0" }, /WORKERS/],
    ["a bad TRUST_PROXY", { TRUST_PROXY: "maybe" }, /TRUST_PROXY/],
    ["a bad SQLITE_SYNCHRONOUS", { SQLITE_SYNCHRONOUS: "OFF" }, /SQLITE_SYNCHRONOUS/],
    ["a bad AUTH_RATE_LIMIT", { AUTH_RATE_LIMIT: "fast" }, /AUTH_RATE_LIMIT/],
    ["a grace period over 5m", { REFRESH_TOKEN_ROTATION_GRACE_PERIOD: "10m" }, /ROTATION_GRACE_PERIOD/],
    ["a bad SIGNUP", { SIGNUP: "maybe" }, /SIGNUP/],
    ["an SMTP_URL that is not smtp", { SMTP_URL: "http://mail.example" }, /SMTP_URL/],
    [
      "an https ISSUER without SMTP_URL (every reset link would go to the log)",
      { ISSUER: "https://auth.example.com" },
      /^SMTP_URL is required when ISSUER is https: .* Set SMTP_URL=log to choose that$/,
    ],
    ["a MAIL_FROM without an address", { MAIL_FROM: "nobody" }, /MAIL_FROM/],
    // Unquoted, the comma parts two addresses: the email went out "From: Inc." <no-reply@…>.
    [
      "a MAIL_FROM whose name has a comma, unquoted",
      { MAIL_FROM: "Acme, Inc. <no-reply@example.com>" },
      /^MAIL_FROM must be one address/,
    ],
    ["a MAIL_FROM of two addresses", { MAIL_FROM: "a@example.com, b@example.com" }, /MAIL_FROM/],
    // Accepted, then every email threw: the mailer could not decode the password.
    [
      "an SMTP_URL whose password has a % that is no %XX",
      { SMTP_URL: "smtp://user:100%sure@mail.example.com:587" },
      /SMTP_URL must be .* percent-encoded/,
    ],
    ["an SMTP_URL without a host", { SMTP_URL: "smtp://:587" }, /SMTP_URL/],
    ["a MAIL_FROM too long", { MAIL_FROM: `${"a".repeat(320)}@example.com` }, /MAIL_FROM/],
    ["a HYDRA_CLIENT_ID too long", { HYDRA_CLIENT_ID: "a".repeat(256) }, /HYDRA_CLIENT_ID/],
    ["a HYDRA_CLIENT_SECRET too long", { HYDRA_CLIENT_SECRET: "a".repeat(256) }, /HYDRA_CLIENT_SECRET/],
    ["an unparsable URLS_LOGIN", { URLS_LOGIN: "login" }, /URLS_LOGIN/],
    ["a URLS_LOGOUT that is not http(s)", { URLS_LOGOUT: "javascript:alert(1)" }, /URLS_LOGOUT/],
    [
      "a relative URLS_POST_LOGOUT_REDIRECT",
      { URLS_POST_LOGOUT_REDIRECT: "/bye" },
      /URLS_POST_LOGOUT_REDIRECT/,
    ],
    ["an unparsable URLS_ERROR", { URLS_ERROR: "error" }, /URLS_ERROR/],
    ["a HYDRA_ADMIN_URL that is not http(s)", { HYDRA_ADMIN_URL: "hydra-admin:4445" }, /HYDRA_ADMIN_URL/],
    // fetch refuses such a URL in an error that repeats it, password and all, into the log.
    [
      "a HYDRA_ADMIN_URL with a user and password",
      { HYDRA_ADMIN_URL: "http://admin:pw-4711@hydra-admin:4445" },
      /^HYDRA_ADMIN_URL must not hold a user name or password \(user:password@host\)$/,
    ],
    [
      "a HYDRA_URL with a user name",
      { HYDRA_URL: "https://admin@hydra.example.com" },
      /HYDRA_URL must not hold/,
    ],
    ["an ISSUER with a password", { ISSUER: "http://a:b@localhost:3000" }, /ISSUER must not hold/],
  ];
  for (const [name, env, variable] of refused) {
    test(`${name} is refused by both halves with a message naming the variable`, () => {
      for (const load of [loadConfig, loadAppConfig]) {
        assert.throws(
          () => load({ SYSTEM_SECRET, ...env }),
          (error: unknown) => error instanceof ConfigError && variable.test(error.message),
        );
      }
    });
  }

  test("the server needs SYSTEM_SECRET; the consent app only for what it derives from it", () => {
    assert.throws(() => loadConfig({}), /SYSTEM_SECRET is required/);
    assert.throws(() => loadAppConfig({}), /SYSTEM_SECRET is required .* to derive/);
    const remote = loadAppConfig({ HYDRA_CLIENT_SECRET: "s", COOKIE_SECRET: "c".repeat(32) });
    assert.equal(remote.hydra.clientSecret, "s");
    // Against an Ory Hydra 2.x alone (HYDRA_ADMIN_URL) there is no 2017 client secret to derive.
    const ory = loadAppConfig({ HYDRA_ADMIN_URL: "http://hydra:4445/", COOKIE_SECRET: "c".repeat(32) });
    assert.equal(ory.hydraAdminUrl, "http://hydra:4445");
    assert.equal(ory.hydra.clientSecret, "");
    assert.equal(loadAppConfig({ SYSTEM_SECRET }).hydraAdminUrl, undefined);
  });

  test("an empty value counts as unset", () => {
    assert.equal(loadConfig({ SYSTEM_SECRET, ISSUER: "", PORT: "" }).issuer, "http://localhost:3000");
  });

  test("email to the log: unset under an http ISSUER, or SMTP_URL=log said outright under an https one", () => {
    assert.equal(loadAppConfig({ SYSTEM_SECRET }).mail.smtpUrl, undefined);
    assert.equal(loadAppConfig({ SYSTEM_SECRET, ISSUER: "http://auth.example.com" }).mail.smtpUrl, undefined);
    const https = { SYSTEM_SECRET, ISSUER: "https://auth.example.com" };
    assert.equal(loadAppConfig({ ...https, SMTP_URL: "log" }).mail.smtpUrl, undefined);
    assert.equal(loadConfig({ ...https, SMTP_URL: "log" }).issuer, "https://auth.example.com");
    assert.equal(
      loadAppConfig({ ...https, SMTP_URL: "smtp://mail.example.com:587" }).mail.smtpUrl,
      "smtp://mail.example.com:587",
    );
  });

  test("MAIL_FROM: a name with a comma in double quotes, and a password with @ : % percent-encoded, are taken", () => {
    const mail = loadAppConfig({
      SYSTEM_SECRET,
      MAIL_FROM: '"Acme, Inc." <no-reply@example.com>',
      SMTP_URL: "smtp://me%40example.com:p%40ss%3Aw%25rd@mail.example.com:587",
    }).mail;
    assert.equal(mail.from, '"Acme, Inc." <no-reply@example.com>');
    assert.equal(mail.smtpUrl, "smtp://me%40example.com:p%40ss%3Aw%25rd@mail.example.com:587");
  });

  test("one issuer rule: ISSUER without its trailing slash, else localhost on PORT, the same in both halves", () => {
    for (const [env, issuer] of [
      [{ ISSUER: "https://auth.example.com/", SMTP_URL: "log" }, "https://auth.example.com"],
      [{ ISSUER: "https://auth.example.com/base", SMTP_URL: "log" }, "https://auth.example.com/base"],
      [{ PORT: "4000" }, "http://localhost:4000"],
    ] as const) {
      assert.equal(issuerOf(parseEnvironment(env)), issuer);
      assert.equal(loadConfig({ SYSTEM_SECRET, ...env }).issuer, issuer);
      assert.equal(loadAppConfig({ SYSTEM_SECRET, ...env }).issuer, issuer);
    }
  });

  test("defaults", () => {
    const server = loadConfig({ SYSTEM_SECRET });
    assert.equal(server.databaseUrl, "file:./data/portico.db");
    assert.equal(server.port, 3000);
    assert.equal(server.adminPort, 3001);
    assert.equal(server.consentUrl, "http://localhost:3000/consent");
    assert.equal(server.bcryptCost, 10);
    assert.equal(server.accessTokenLifespanMs, 3_600_000);
    assert.equal(server.authCodeLifespanMs, 600_000);
    assert.equal(server.logLevel, "info");
    assert.equal(server.sqliteSynchronous, "NORMAL");
    assert.equal(server.workers, undefined);
    assert.equal(server.demo, false);
    assert.equal(server.hydraUrl, server.issuer);
    assert.equal(server.consentClient.id, EMBEDDED_CONSENT_CLIENT_ID);
    const app = loadAppConfig({ SYSTEM_SECRET });
    assert.equal(app.hydra.url, server.issuer);
    assert.equal(app.hydra.clientId, server.consentClient.id);
    assert.equal(app.hydra.clientSecret, server.consentClient.secret, "both halves derive the same secret");
    assert.equal(app.cookieSecret, server.cookieSecret);
    assert.equal(app.trustedProxies, 0);
    assert.equal(app.demo, undefined);
  });

  test("values are read as documented", () => {
    const env = {
      SYSTEM_SECRET,
      ISSUER: "https://auth.example.com",
      HYDRA_URL: "https://hydra.example.com/",
      HYDRA_CLIENT_ID: "consent",
      HYDRA_CLIENT_SECRET: "consent-secret",
      ACCESS_TOKEN_LIFESPAN: "1h30m",
      REFRESH_TOKEN_LIFESPAN: "45s",
      FORCE_ROOT_CLIENT_CREDENTIALS: "root:a-long-se:cret-of-its-own",
      SQLITE_SYNCHRONOUS: "FULL",
      LOG_LEVEL: "debug",
      WORKERS: "3",
      TRUST_PROXY: "2",
      PORTICO_DEMO: "1",
      SMTP_URL: "smtp://mail.example.com:587",
      SIGNUP: "closed",
    };
    const server = loadConfig(env);
    assert.equal(server.signupOpen, false);
    assert.equal(server.accessTokenLifespanMs, 5_400_000);
    assert.equal(server.refreshTokenLifespanMs, 45_000);
    assert.deepEqual(server.forceRootClient, { id: "root", secret: "a-long-se:cret-of-its-own" });
    assert.equal(server.sqliteSynchronous, "FULL");
    assert.equal(server.logLevel, "debug");
    assert.equal(server.workers, 3);
    assert.equal(server.hydraUrl, "https://hydra.example.com");
    assert.deepEqual(server.consentClient, { id: "consent", secret: "consent-secret" });
    assert.equal(server.demo, true);
    const app = loadAppConfig(env);
    assert.deepEqual(app.hydra, {
      url: "https://hydra.example.com",
      clientId: "consent",
      clientSecret: "consent-secret",
    });
    assert.equal(app.secureCookies, true);
    assert.deepEqual(app.redirectOrigins, ["https://auth.example.com", "https://hydra.example.com"]);
    assert.equal(app.trustedProxies, 2);
    assert.equal(app.sqliteSynchronous, "FULL");
    assert.equal(app.demo?.clientId, "portico-demo");
  });

  test("URLS_LOGIN and URLS_CONSENT go together", () => {
    assert.throws(() => loadConfig({ SYSTEM_SECRET, URLS_LOGIN: "https://login.example/" }), /go together/);
    const both = loadConfig({
      SYSTEM_SECRET,
      URLS_LOGIN: "https://login.example/login/",
      URLS_CONSENT: "https://login.example/consent",
    });
    assert.deepEqual(both.hydra2Flow, {
      login: "https://login.example/login/",
      consent: "https://login.example/consent",
      logout: "http://localhost:3000/logout",
      postLogoutRedirect: "http://localhost:3000/logout/done",
    });
    assert.equal(both.errorUrl, undefined);
    const all = loadConfig({
      SYSTEM_SECRET,
      URLS_LOGIN: "https://login.example/login",
      URLS_CONSENT: "https://login.example/consent",
      URLS_LOGOUT: "https://login.example/logout",
      URLS_POST_LOGOUT_REDIRECT: "https://www.example/bye",
      URLS_ERROR: "https://login.example/error",
    });
    assert.equal(all.hydra2Flow?.logout, "https://login.example/logout");
    assert.equal(all.hydra2Flow?.postLogoutRedirect, "https://www.example/bye");
    assert.equal(all.errorUrl, "https://login.example/error");
  });

  test("ADMIN_PORT must differ from PORT", () => {
    assert.throws(() => loadConfig({ SYSTEM_SECRET, PORT: "4000", ADMIN_PORT: "4000" }), /ADMIN_PORT/);
  });
});
