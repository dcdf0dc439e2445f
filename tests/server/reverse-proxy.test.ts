/**
 * Portico behind a TLS-terminating reverse proxy, as operators run it:
 * ISSUER is the public https URL, the server sees plain HTTP on loopback.
 * A real proxy (node:http) forwards every request, in the two ways proxies
 * are set up: passing on its own upstream address as Host (nginx's default,
 * `proxy_pass http://127.0.0.1:3000`) or the client's Host; either way it
 * passes on whatever X-Forwarded-* the client wrote. The whole sign-in flow
 * (pages without JavaScript, server actions) runs through it, with forged
 * Host / X-Forwarded-Host / X-Forwarded-Proto: every URL Portico builds — its
 * redirects, discovery, the mail's links — is ISSUER's, and every cookie is
 * Secure.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request, type Server } from "node:http";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { linkIn, type Mailbox, startMailbox } from "@/tests/support/mailbox.ts";
import { type PageAnswer, PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const FORGED = "evil.example";

/** A self-signed certificate for localhost (openssl), which the server and the test are told to trust. */
function localhostCertificate(): { key: string; cert: string; file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "portico-proxy-"));
  const [key, file] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"],
      ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", file],
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(file, "utf8"), file, dir };
}

/**
 * A TLS-terminating reverse proxy on localhost to `upstream` over plain HTTP: Host is the upstream's
 * (nginx's default) or the client's (`passHost`); X-Forwarded-For and -Proto are set, anything else a
 * client sent passes on.
 */
async function startProxy(
  tls: { key: string; cert: string },
  upstream: () => string,
  passHost: boolean,
): Promise<{ url: string; server: Server }> {
  const server = createServer(tls, (incoming, answer) => {
    const target = new URL(upstream());
    const headers = { ...incoming.headers };
    if (!passHost) headers.host = target.host;
    headers["x-forwarded-for"] = incoming.socket.remoteAddress ?? "";
    headers["x-forwarded-proto"] = "https";
    const outgoing = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (response) => {
        answer.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(answer);
      },
    );
    outgoing.on("error", () => answer.writeHead(502).end());
    incoming.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, "localhost", resolve));
  const address = server.address();
  return { url: `https://localhost:${typeof address === "object" && address ? address.port : 0}`, server };
}

function assertNoForgedHost(answer: PageAnswer, what: string): void {
  const text = `${JSON.stringify(answer.headers)}\n${answer.body}`;
  assert.ok(!text.includes(FORGED), `${what} mentions the forged host:\n${text.slice(0, 3000)}`);
}

function assertSecureCookies(answer: PageAnswer, what: string): void {
  for (const line of answer.cookies)
    assert.match(line, /;\s*Secure\b/i, `${what}: a cookie without Secure: ${line}`);
}

for (const backend of BACKENDS) {
  describe(`behind a TLS-terminating reverse proxy, ISSUER https (${backend})`, { timeout: 180_000 }, () => {
    let portico: Portico;
    let mailbox: Mailbox;
    let db: Database;
    const proxies: Record<string, { url: string; server: Server }> = {};
    let clientId: string;
    let clientSecret: string;
    const tls = localhostCertificate();
    /** The proxy's public URL. */
    let ISSUER: string;

    before(async () => {
      mailbox = await startMailbox();
      proxies.upstreamHost = await startProxy(tls, () => portico.url, false);
      proxies.clientHost = await startProxy(tls, () => portico.url, true);
      ISSUER = proxies.upstreamHost.url;
      // The consent app reaches its server on the server's own listener (HYDRA_URL unset), not through the proxy.
      portico = await startPortico({
        backend,
        compiled: true,
        env: { ISSUER, SMTP_URL: mailbox.smtpUrl, TRUST_PROXY: "1", NODE_EXTRA_CA_CERTS: tls.file },
      });
      db = createDatabase(portico.databaseUrl);
      const created = await portico.call("/clients", {
        token: await portico.rootToken("hydra.clients"),
        json: {
          client_name: "Proxied RP",
          redirect_uris: ["https://rp.example.test/cb"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline",
        },
      });
      assert.equal(created.status, 201, await created.clone().text());
      const body = (await created.json()) as { id: string; client_secret: string };
      clientId = body.id;
      clientSecret = body.client_secret;
    });

    after(async () => {
      for (const proxy of Object.values(proxies)) proxy.server.close();
      await db?.$disconnect();
      await portico?.stop();
      await mailbox?.stop();
      rmSync(tls.dir, { recursive: true, force: true });
    });

    for (const passHost of [false, true]) {
      const proxyName = passHost ? "the client's Host passed on" : "the proxy's upstream address as Host";
      test(`sign-in and consent through the proxy (${proxyName}), forged X-Forwarded-*: ISSUER's URLs, Secure cookies`, async () => {
        const proxy = (passHost ? proxies.clientHost : proxies.upstreamHost) as { url: string };
        const email = `ann-${passHost ? "pass" : "upstream"}@example.com`;
        const password = "a long passphrase for the proxy";
        await new UserStore(db).create({ email, password, name: "Ann Proxy" });
        const forged = {
          "x-forwarded-host": FORGED,
          "x-forwarded-proto": "http",
          forwarded: `host=${FORGED};proto=http`,
          ...(passHost ? { host: FORGED } : {}),
        };
        const browser = new PageClient(proxy.url, ISSUER, forged, tls.cert);
        const auth = new URLSearchParams({
          client_id: clientId,
          redirect_uri: "https://rp.example.test/cb",
          response_type: "code",
          scope: "openid offline",
          state: "state-of-the-rp",
          nonce: "nonce-of-the-rp",
        });
        const started = await browser.get(`/oauth2/auth?${auth}`);
        assert.equal(started.status, 302, started.body);
        assert.ok(
          started.location?.startsWith(`${ISSUER}/consent?`),
          `to the consent app: ${started.location}`,
        );
        assertSecureCookies(started, "/oauth2/auth");

        const login = await browser.follow(started);
        assert.equal(login.status, 200, `the sign-in page (${login.url}): ${login.body.slice(0, 500)}`);
        assert.ok(
          login.body.includes('name="password"'),
          `a sign-in form (${login.url}): ${login.body
            .replace(/<script[\s\S]*?<\/script>/g, "")
            .replace(/<[^>]+>/g, " ")
            .slice(0, 1500)}`,
        );
        assertSecureCookies(login, "the sign-in page");
        assertNoForgedHost(login, "the sign-in page");
        assert.ok(browser.cookie("__Host-portico-session"), "the session cookie is the __Host- one");

        const signedIn = await browser.submit(login.url as string, login.body, { email, password });
        assert.equal(
          signedIn.status,
          303,
          `the sign-in form's answer: ${signedIn.status} ${signedIn.body.slice(0, 500)}`,
        );
        assertSecureCookies(signedIn, "the sign-in answer");
        assertNoForgedHost(signedIn, "the sign-in answer");

        const ask = await browser.follow(signedIn);
        assert.equal(ask.status, 200, `the consent screen (${ask.url}): ${ask.body.slice(0, 500)}`);
        assertNoForgedHost(ask, "the consent screen");
        const allowed = await browser.submit(ask.url as string, ask.body, {
          decision: "allow",
          scope: ["openid", "offline"],
        });
        assert.equal(
          allowed.status,
          303,
          `the consent form's answer: ${allowed.status} ${allowed.body.slice(0, 500)}`,
        );
        assertNoForgedHost(allowed, "the consent answer");

        const back = await browser.follow(allowed);
        assert.ok(back.url?.startsWith("https://rp.example.test/cb?"), `back at the client: ${back.url}`);
        const code = new URL(back.url as string).searchParams.get("code");
        assert.ok(code, `a code: ${back.url}`);
        assert.equal(new URL(back.url as string).searchParams.get("iss"), ISSUER);

        const token = await fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
            "x-forwarded-host": FORGED,
          },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: "https://rp.example.test/cb",
          }),
        });
        assert.equal(token.status, 200, await token.clone().text());
        const tokens = (await token.json()) as { id_token: string; refresh_token?: string };
        const claims = JSON.parse(
          Buffer.from(tokens.id_token.split(".")[1] as string, "base64url").toString(),
        ) as {
          iss: string;
        };
        assert.equal(claims.iss, ISSUER);
        assert.ok(tokens.refresh_token);
      });
    }

    test("discovery and a password-reset mail through the proxy name ISSUER only", async () => {
      const proxy = proxies.clientHost as { url: string };
      const forged = { host: FORGED, "x-forwarded-host": FORGED, "x-forwarded-proto": "http" };
      const browser = new PageClient(proxy.url, ISSUER, forged, tls.cert);
      const discovery = await browser.get("/.well-known/openid-configuration");
      assert.equal(discovery.status, 200);
      const document = JSON.parse(discovery.body) as Record<string, unknown>;
      assert.equal(document.issuer, ISSUER);
      for (const [name, value] of Object.entries(document))
        if (typeof value === "string" && /^https?:/.test(value))
          assert.ok(value.startsWith(`${ISSUER}/`) || value === ISSUER, `${name}: ${value}`);

      const email = "reset-through-proxy@example.com";
      await new UserStore(db).create({ email, password: "an old long passphrase", name: "Reset Proxy" });
      const page = await browser.get("/forgot-password");
      assert.equal(page.status, 200);
      assertNoForgedHost(page, "/forgot-password");
      const sent = await browser.submit("/forgot-password", page.body, { email });
      assert.equal(sent.status, 303, `${sent.status} ${sent.body.slice(0, 500)}`);
      assertSecureCookies(sent, "the forgot-password answer");
      const deadline = Date.now() + 10_000;
      while (!mailbox.messages().some((mail) => mail.to.includes(email)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const mail = mailbox.messages().find((message) => message.to.includes(email));
      assert.ok(mail, "the reset mail arrived");
      const link = linkIn(mail, "https://");
      assert.ok(link.startsWith(`${ISSUER}/reset-password`), link);
      assert.ok(!`${mail.text}${mail.html}`.includes(FORGED), "the mail names no forged host");
    });
  });
}

/** Over a connection of its own (no keep-alive): with WORKERS > 1 each lands on the next worker. */
function freshGet(url: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false }, (response) => {
      response.resume();
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

const UNREACHABLE_ISSUER = "https://auth.portico.invalid";
const LISTENERS = [
  { name: "HOST one address, one process", env: { HOST: "127.0.0.1", WORKERS: "1" } },
  { name: "HOST every interface (::), two workers", env: { HOST: "::", WORKERS: "2" } },
];

for (const backend of BACKENDS) {
  for (const listener of LISTENERS) {
    describe(`a server that cannot reach its own public URL, ${listener.name} (${backend})`, {
      timeout: 180_000,
    }, () => {
      let portico: Portico;
      let db: Database;
      let clientId: string;

      before(async () => {
        // `.invalid` never resolves (RFC 6761): as behind a proxy the server's own network cannot see
        // (split DNS, a container network, a load balancer without hairpin).
        portico = await startPortico({
          backend,
          compiled: true,
          env: { ISSUER: UNREACHABLE_ISSUER, SMTP_URL: "log", ...listener.env },
        });
        db = createDatabase(portico.databaseUrl);
        const created = await portico.call("/clients", {
          token: await portico.rootToken("hydra.clients"),
          json: {
            client_name: "Unreachable-issuer RP",
            redirect_uris: ["https://rp.example.test/cb"],
            response_types: ["code"],
            scope: "openid",
          },
        });
        assert.equal(created.status, 201, await created.clone().text());
        clientId = ((await created.json()) as { id: string }).id;
      });
      after(async () => {
        await db?.$disconnect();
        await portico?.stop();
      });

      const authorize = (state: string) =>
        new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: "https://rp.example.test/cb",
          scope: "openid",
          state,
          nonce: "a-nonce-of-16-chars",
        });

      test("the embedded consent app reaches its server on its own listener, not ISSUER, in every worker", async () => {
        for (let round = 0; round < 4; round++) {
          const started = await freshGet(
            `${portico.url}/oauth2/auth?${authorize(`a-state-of-16-chars-${round}`)}`,
          );
          assert.equal(started.status, 302);
          const toConsent = new URL(started.location ?? "");
          assert.equal(toConsent.origin, UNREACHABLE_ISSUER, "the browser is sent to ISSUER's URLs");
          const consent = toConsent.searchParams.get("consent") ?? "";
          const step = await freshGet(`${portico.url}/consent?consent=${encodeURIComponent(consent)}`);
          // Through ISSUER the app's call fails, and the step hands the screen a failure instead.
          assert.equal(step.status, 303, `round ${round}`);
          assert.equal(step.location, `/login?consent=${encodeURIComponent(consent)}`, `round ${round}`);
        }
      });

      test("sign-in and consent complete; every URL the browser and the client see is ISSUER's", async () => {
        const email = `ann-${listener.env.WORKERS}@example.com`;
        const password = "a long passphrase for the hairpin";
        await new UserStore(db).create({ email, password, name: "Ann Hairpin" });
        const browser = new PageClient(portico.url, UNREACHABLE_ISSUER);
        const started = await browser.get(`/oauth2/auth?${authorize("state-of-the-rp-1")}`);
        assert.equal(started.status, 302, started.body);
        assert.ok(started.location?.startsWith(`${UNREACHABLE_ISSUER}/consent?`), `${started.location}`);
        const login = await browser.follow(started);
        assert.equal(login.status, 200, `the sign-in page (${login.url}): ${login.body.slice(0, 500)}`);
        assert.ok(login.body.includes('name="password"'), `a sign-in form (${login.url})`);
        const signedIn = await browser.submit(login.url as string, login.body, { email, password });
        assert.equal(signedIn.status, 303, `${signedIn.status} ${signedIn.body.slice(0, 500)}`);
        const ask = await browser.follow(signedIn);
        assert.equal(ask.status, 200, `the consent screen (${ask.url}): ${ask.body.slice(0, 500)}`);
        assert.ok(!ask.body.includes(portico.url), "the page names no listener of the server");
        const allowed = await browser.submit(ask.url as string, ask.body, {
          decision: "allow",
          scope: ["openid"],
        });
        assert.equal(allowed.status, 303, `${allowed.status} ${allowed.body.slice(0, 500)}`);
        const back = await browser.follow(allowed);
        for (const hop of [started.location, signedIn.location, allowed.location])
          assert.ok(
            hop?.startsWith("/") ||
              hop?.startsWith(`${UNREACHABLE_ISSUER}/`) ||
              hop?.startsWith("https://rp.example.test/"),
            `a redirect to ISSUER's URLs: ${hop}`,
          );
        assert.ok(back.url?.startsWith("https://rp.example.test/cb?"), `back at the client: ${back.url}`);
        const callback = new URL(back.url as string);
        assert.ok(callback.searchParams.get("code"), `a code: ${back.url}`);
        assert.equal(callback.searchParams.get("iss"), UNREACHABLE_ISSUER);
      });
    });
  }
}
