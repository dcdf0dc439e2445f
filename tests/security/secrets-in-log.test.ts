/**
 * No secret in the log, nor in an answer where it does not belong: a real
 * server (compiled, two workers, LOG_LEVEL=debug, mail over a real SMTP
 * server that wants a password) is driven through the flows that handle
 * secrets — client secrets (2017 and 2.x admin), keys with private material,
 * sign-up, email verification, sign-in (a wrong password too), consent, the
 * code and refresh grants, password reset and change — and through their
 * failures (wrong secrets, an outsized Basic header, bodies zod refuses, a
 * malformed JWT, the mail server refusing). Every secret the run makes or
 * uses is collected; then none may appear in anything the process wrote.
 * Both backends.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { SMTPServer } from "smtp-server";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, basicAuth, type Portico, startPortico } from "@/tests/support/server.ts";

const REDIRECT_URI = "https://rp.example.test/cb";
const SMTP_USER = "portico-mailer";
const SMTP_PASSWORD = `smtp-pw-${randomBytes(12).toString("hex")}`;
const random = (tag: string) => `${tag}-${randomBytes(16).toString("base64url")}`;

/** A real SMTP server that wants SMTP_USER/SMTP_PASSWORD, and can be told to refuse everyone. */
async function startMailServer() {
  const received: string[] = [];
  const state = { refuse: false };
  const smtp = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (!state.refuse && auth.username === SMTP_USER && auth.password === SMTP_PASSWORD)
        return callback(null, { user: auth.username });
      return callback(new Error("Invalid username or password"));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push(
          Buffer.concat(chunks)
            .toString("utf8")
            .replace(/=\r?\n/g, "")
            .replaceAll("=3D", "="),
        );
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    const server = smtp.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    state,
    /** The `token` of the newest link to `path` in a message to `to`. */
    async tokenFor(to: string, path: string): Promise<string> {
      const deadline = Date.now() + 15_000;
      const link = new RegExp(`https?://[^\\s"<>]*${path}\\?token=[^\\s"<>&]+`);
      while (Date.now() < deadline) {
        const found = received
          .filter((mail) => mail.includes(to))
          .map((mail) => mail.match(link)?.[0])
          .filter((match) => match !== undefined)
          .at(-1);
        if (found) return new URL(found).searchParams.get("token") ?? "";
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no mail to ${to} with a link to ${path}`);
    },
    stop: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

describe("a start refused for its settings names the variable, never its password", () => {
  const password = random("pw-in-a-url");
  for (const [what, env, reason] of [
    [
      "an SMTP_URL that is no smtp URL",
      { SMTP_URL: `ftp://mailer:${password}@127.0.0.1:25` },
      /SMTP_URL must be/,
    ],
    [
      "a DATABASE_URL that cannot be read",
      { DATABASE_URL: `postgresql://app:${password}%ZZ@127.0.0.1:5432/app` },
      /DATABASE_URL must be a URL/,
    ],
    [
      "a DATABASE_URL of another database",
      { DATABASE_URL: `mysql://app:${password}@127.0.0.1/app` },
      /DATABASE_URL must start/,
    ],
    // fetch refuses a URL with credentials, in an error that repeats it: the app logged the password.
    [
      "a HYDRA_ADMIN_URL with a password in it",
      { HYDRA_ADMIN_URL: `http://admin:${password}@127.0.0.1:4445` },
      /HYDRA_ADMIN_URL must not hold a user name or password/,
    ],
    [
      "a HYDRA_URL with a password in it",
      { HYDRA_URL: `https://admin:${password}@hydra.example.test` },
      /HYDRA_URL must not hold a user name or password/,
    ],
    [
      "a URLS_LOGIN with a password in it",
      {
        URLS_LOGIN: `https://app:${password}@login.example.test/login`,
        URLS_CONSENT: "https://login.example.test/consent",
      },
      /URLS_LOGIN must not hold a user name or password/,
    ],
  ] as const) {
    test(what, async () => {
      const refused = await startPortico({ env }).then(
        (portico) => portico.stop().then(() => undefined),
        (error: Error) => error,
      );
      assert.ok(refused, "the start is refused");
      assert.match(refused.message, reason);
      assert.ok(!refused.message.includes(password), refused.message);
    });
  }
});

for (const backend of BACKENDS) {
  describe(`no secret in the log or where an answer should not carry it (${backend})`, {
    timeout: 300_000,
  }, () => {
    let portico: Portico;
    let mail: Awaited<ReturnType<typeof startMailServer>>;
    /** Every secret of the run, by what it is. */
    const secrets = new Map<string, string>();
    /** Answers the run saw, each with the secrets it may carry. */
    const answers: { what: string; body: string; allowed: string[] }[] = [];
    const keep = (label: string, value: string | undefined | null) => {
      assert.ok(value && value.length >= 8, `${label} is a value worth looking for: ${value}`);
      secrets.set(label, value);
      return value;
    };
    const seen = (what: string, body: string, ...allowed: string[]) => answers.push({ what, body, allowed });
    /** A page: the request it is for (the consent id) and its own hidden fields (CSRF) are its to carry. */
    const seenPage = (what: string, body: string) =>
      seen(
        what,
        body,
        secrets.get("a consent challenge") ?? "",
        ...[...body.matchAll(/<input(?=[^>]*type="hidden")[^>]*value="([^"]*)"/g)].map(
          (match) => match[1] ?? "",
        ),
      );

    before(async () => {
      mail = await startMailServer();
      portico = await startPortico({
        backend,
        compiled: true,
        env: { WORKERS: "2", LOG_LEVEL: "debug", SMTP_URL: mail.url, SIGNUP: "open" },
      });
      keep("the SMTP password", SMTP_PASSWORD);
      keep("the root client's secret", portico.root.secret);
      keep("SYSTEM_SECRET", "test-system-secret-0123456789");
      // PostgreSQL's test role has a short password: its credentials as the URL writes them.
      const database = new URL(portico.databaseUrl);
      if (database.password) keep("DATABASE_URL's credentials", `${database.username}:${database.password}@`);
    });
    after(async () => {
      await portico?.stop();
      await mail?.stop();
    });

    const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields),
      redirect: "manual" as const,
    });

    test("the flows, their secrets and their failures", async () => {
      // 2017 admin: a client with a chosen secret, then a new one by PUT.
      const adminToken = keep("an admin access token", await portico.rootToken("hydra.clients hydra.keys.*"));
      const firstSecret = random("client-secret-1");
      const clientId = `rp-${randomBytes(4).toString("hex")}`;
      const client = {
        id: clientId,
        client_secret: keep("a 2017 client's secret", firstSecret),
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        scope: "openid offline email profile",
      };
      const created = await portico.call("/clients", { token: adminToken, json: client });
      assert.equal(created.status, 201, await created.clone().text());
      seen("POST /clients", await created.text(), firstSecret);
      const secret = keep("a 2017 client's new secret (PUT)", random("client-secret-2"));
      const put = await portico.call(`/clients/${clientId}`, {
        method: "PUT",
        token: adminToken,
        json: { ...client, client_secret: secret },
      });
      assert.equal(put.status, 200, await put.clone().text());
      seen("PUT /clients", await put.text(), secret);

      // Bodies refused: a secret in a body zod refuses is not repeated in the answer.
      const refusedSecret = keep("a secret in a refused client body", random("refused-secret"));
      const refused = await portico.call("/clients", {
        token: adminToken,
        json: { ...client, id: `${clientId}-x`, client_secret: refusedSecret, redirect_uris: "not a list" },
      });
      assert.equal(refused.status, 400);
      seen("POST /clients refused", await refused.text());
      const notString = await portico.call("/clients", {
        token: adminToken,
        json: {
          ...client,
          id: `${clientId}-y`,
          client_secret: [keep("a secret in a list", random("listed"))],
        },
      });
      assert.equal(notString.status, 400);
      seen("POST /clients, client_secret a list", await notString.text());

      // client_credentials; wrong secrets, an outsized Basic header, a secret in the form.
      keep("a client_credentials token", await portico.tokenFor(clientId, secret));
      const wrong = keep("a wrong client secret", random("wrong-secret"));
      for (const [what, init] of [
        [
          "a wrong secret (Basic)",
          form({ grant_type: "client_credentials" }, { authorization: basicAuth(clientId, wrong) }),
        ],
        [
          "a wrong secret (post)",
          form({ grant_type: "client_credentials", client_id: clientId, client_secret: wrong }),
        ],
        [
          "a long Basic header",
          form(
            { grant_type: "client_credentials" },
            { authorization: basicAuth(clientId, keep("a long wrong secret", random("long").repeat(200))) },
          ),
        ],
        [
          "a Basic header that is not base64 of id:secret",
          form(
            { grant_type: "client_credentials" },
            { authorization: `Basic ${keep("a bad Basic value", random("notbase64"))}!!` },
          ),
        ],
      ] as const) {
        const response = await fetch(`${portico.url}/oauth2/token`, init);
        assert.equal(response.status >= 400 && response.status < 500, true, `${what}: ${response.status}`);
        seen(`/oauth2/token with ${what}`, await response.text());
      }

      // 2017 keys: a generated key set answers its private half once, at creation; a PUT key too.
      const set = `set-${randomBytes(4).toString("hex")}`;
      const generated = await portico.call(`/keys/${set}`, {
        token: adminToken,
        json: { alg: "RS256", kid: "k1" },
      });
      assert.equal(generated.status, 201, await generated.clone().text());
      const generatedBody = await generated.text();
      const privateD = (JSON.parse(generatedBody) as { keys: { d?: string }[] }).keys.find((key) => key.d)?.d;
      keep("a generated private key", privateD);
      seen("POST /keys", generatedBody, privateD as string);
      const hmac = await portico.call(`/keys/${set}`, {
        token: adminToken,
        json: { alg: "HS256", kid: "h1" },
      });
      assert.equal(hmac.status, 201, await hmac.clone().text());
      const hmacBody = await hmac.text();
      const hmacK = (JSON.parse(hmacBody) as { keys: { k?: string }[] }).keys[0]?.k;
      keep("a generated HMAC key", hmacK);
      seen("POST /keys (HS256)", hmacBody, hmacK as string);
      const own = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
      keep("a private key that was PUT", own.d);
      const putKey = await portico.call(`/keys/${set}/k2`, {
        method: "PUT",
        token: adminToken,
        json: { ...own, kid: "k2", alg: "RS256", use: "sig" },
      });
      seen("PUT /keys/:set/:kid", await putKey.text(), own.d as string);
      const badKey = await portico.call(`/keys/${set}/k3`, {
        method: "PUT",
        token: adminToken,
        json: { ...own, kid: "k3", kty: "RSA", n: "not-a-modulus", alg: 5 },
      });
      assert.equal(badKey.status, 400, await badKey.clone().text());
      seen("PUT /keys refused", await badKey.text());
      const read = await portico.call(`/keys/${set}/k1`, { token: adminToken });
      seen("GET /keys/:set/:kid", await read.text(), privateD as string);
      const idTokenKeys = await portico.call("/keys/hydra.openid.id-token", { token: adminToken });
      assert.equal(idTokenKeys.status, 200);
      const idTokenBody = await idTokenKeys.text();
      const signing = (JSON.parse(idTokenBody) as { keys: { d?: string }[] }).keys.find((key) => key.d)?.d;
      keep("the ID-token signing key", signing);
      seen("GET /keys/hydra.openid.id-token", idTokenBody, signing as string);
      const v2Keys = await fetch(`${portico.adminUrl}/admin/keys/v2-${set}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ alg: "ES256", kid: "e1", use: "sig" }),
      });
      assert.equal(v2Keys.status, 201, await v2Keys.clone().text());
      const v2KeysBody = await v2Keys.text();
      const v2D = (JSON.parse(v2KeysBody) as { keys: { d?: string }[] }).keys.find((key) => key.d)?.d;
      keep("a private key made by the 2.x admin API", v2D);
      seen("POST /admin/keys", v2KeysBody, v2D as string);
      const publicKeys = await fetch(`${portico.url}/.well-known/jwks.json`);
      seen("the JWKS", await publicKeys.text());

      // 2.x admin: a client made, its secret rotated by PUT and by PATCH.
      const v2 = await fetch(`${portico.adminUrl}/admin/clients`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_name: "v2",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["client_credentials"],
        }),
      });
      assert.equal(v2.status, 201, await v2.clone().text());
      const v2Body = (await v2.clone().json()) as { client_id: string; client_secret: string };
      keep("a 2.x client's secret", v2Body.client_secret);
      seen("POST /admin/clients", await v2.text(), v2Body.client_secret);
      const rotated = keep("a 2.x client's secret set by PUT", random("v2-put"));
      const v2Put = await fetch(`${portico.adminUrl}/admin/clients/${v2Body.client_id}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_secret: rotated,
          redirect_uris: [REDIRECT_URI],
          grant_types: ["client_credentials"],
        }),
      });
      assert.equal(v2Put.status, 200, await v2Put.clone().text());
      seen("PUT /admin/clients", await v2Put.text(), rotated);
      const patched = keep("a 2.x client's secret set by PATCH", random("v2-patch"));
      const v2Patch = await fetch(`${portico.adminUrl}/admin/clients/${v2Body.client_id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ op: "replace", path: "/client_secret", value: patched }]),
      });
      assert.equal(v2Patch.status, 200, await v2Patch.clone().text());
      seen("PATCH /admin/clients", await v2Patch.text(), patched);
      const v2Refused = await fetch(`${portico.adminUrl}/admin/clients`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_secret: keep("a secret in a refused 2.x body", random("v2-refused")),
          redirect_uris: 5,
        }),
      });
      assert.equal(v2Refused.status, 400, await v2Refused.clone().text());
      seen("POST /admin/clients refused", await v2Refused.text());
      keep("a 2.x client_credentials token", await portico.tokenFor(v2Body.client_id, patched));

      // A client read back, on either API: neither its secret nor its hash.
      for (const [what, url] of [
        ["GET /clients/:id", `${portico.url}/clients/${clientId}`],
        ["GET /clients", `${portico.url}/clients`],
        ["GET /admin/clients/:id", `${portico.adminUrl}/admin/clients/${v2Body.client_id}`],
        ["GET /admin/clients", `${portico.adminUrl}/admin/clients`],
      ] as const) {
        const response = await fetch(url, { headers: { authorization: `Bearer ${adminToken}` } });
        assert.equal(response.status, 200, what);
        const body = await response.text();
        assert.doesNotMatch(body, /\$2[aby]\$|\$argon2/, `a password hash in ${what}`);
        seen(what, body);
      }

      // Sign-up, with the mail server wanting its password; the address confirmed by its link.
      const email = `ann-${randomBytes(4).toString("hex")}@example.com`;
      const password = keep("the sign-up password", random("Signup pass phrase"));
      const browser = new PageClient(portico.url, portico.url);
      const signupPage = await browser.get("/signup");
      assert.equal(signupPage.status, 200, signupPage.body.slice(0, 300));
      const weak = keep("a password refused as weak", `${email}1`);
      const refusedSignUp = await browser.submit("/signup", signupPage.body, {
        name: "Ann Log",
        email,
        password: weak,
      });
      assert.equal(refusedSignUp.status, 200, refusedSignUp.body.slice(0, 500));
      seenPage("a sign-up refused for its weak password", refusedSignUp.body);
      const signedUp = await browser.submit("/signup", signupPage.body, { name: "Ann Log", email, password });
      assert.equal(signedUp.status, 303, signedUp.body.slice(0, 500));
      seenPage("the sign-up answer", signedUp.body);
      const verifyToken = keep("an email-verification token", await mail.tokenFor(email, "/verify-email"));
      const verifyPage = await browser.get(`/verify-email?token=${encodeURIComponent(verifyToken)}`);
      const verified = await browser.submit("/verify-email", verifyPage.body, { token: verifyToken });
      assert.equal(verified.status, 303, verified.body.slice(0, 500));

      // The code flow through the pages: a wrong password first, then the right one, consent, the grants.
      const started = await browser.get(
        `/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
          scope: "openid offline email",
          state: "state-of-the-rp-1",
          nonce: "nonce-of-the-rp-1",
        })}`,
      );
      assert.equal(started.status, 302, started.body);
      keep("a consent challenge", new URL(started.location ?? "").searchParams.get("consent"));
      const login = await browser.follow(started);
      const wrongPassword = keep("a wrong password", random("Not my pass phrase"));
      const refusedSignIn = await browser.submit(login.url as string, login.body, {
        email,
        password: wrongPassword,
      });
      seenPage("a refused sign-in", refusedSignIn.body);
      const signedIn = await browser.submit(login.url as string, login.body, { email, password });
      assert.equal(signedIn.status, 303, `${signedIn.status} ${signedIn.body.slice(0, 500)}`);
      const ask = await browser.follow(signedIn);
      assert.equal(ask.status, 200, `the consent screen (${ask.url}): ${ask.body.slice(0, 500)}`);
      for (const [, value] of ask.body.matchAll(/name="(?:csrf|\$ACTION_[^"]*)"[^>]*value="([^"]{16,})"/g))
        keep(`a form's hidden value ${value?.slice(0, 6)}`, value);
      const allowed = await browser.submit(ask.url as string, ask.body, {
        decision: "allow",
        scope: ["openid", "offline", "email"],
      });
      assert.equal(allowed.status, 303, `${allowed.status} ${allowed.body.slice(0, 500)}`);
      const back = await browser.follow(allowed);
      assert.ok(back.url?.startsWith(`${REDIRECT_URI}?code=`), `back at the client with a code: ${back.url}`);
      const code = keep("an authorization code", new URL(back.url as string).searchParams.get("code"));
      // The request opened again: the page says it was answered; the log names it by the start of its id.
      const consentId = secrets.get("a consent challenge") as string;
      const answered = await browser.follow(
        await browser.get(`/consent?consent=${encodeURIComponent(consentId)}`),
      );
      assert.match(answered.body, /already answered/);
      for (const [name, value] of browser.cookies()) keep(`the cookie ${name}`, value);
      const exchanged = await fetch(
        `${portico.url}/oauth2/token`,
        form({
          grant_type: "authorization_code",
          code,
          redirect_uri: REDIRECT_URI,
          client_id: clientId,
          client_secret: secret,
        }),
      );
      assert.equal(exchanged.status, 200, await exchanged.clone().text());
      const tokens = (await exchanged.json()) as {
        access_token: string;
        refresh_token: string;
        id_token: string;
      };
      keep("an access token", tokens.access_token);
      keep("a refresh token", tokens.refresh_token);
      keep("an ID token's signature", tokens.id_token.split(".")[2]);
      const refreshed = await fetch(
        `${portico.url}/oauth2/token`,
        form(
          { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
          { authorization: basicAuth(clientId, secret) },
        ),
      );
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      const refreshedTokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
      keep("a refreshed access token", refreshedTokens.access_token);
      keep("a refreshed refresh token", refreshedTokens.refresh_token);
      const oldRefresh = await fetch(
        `${portico.url}/oauth2/token`,
        form(
          { grant_type: "refresh_token", refresh_token: `${tokens.refresh_token}x` },
          { authorization: basicAuth(clientId, secret) },
        ),
      );
      seen("a refresh token that is not one", await oldRefresh.text());
      const userinfo = await portico.call("/userinfo", { token: refreshedTokens.access_token });
      assert.equal(userinfo.status, 200);
      const malformed = keep("a malformed JWT", `eyJhbGciOiJub25lIn0.${random("payload")}.${random("sig")}`);
      for (const bearer of [malformed, `${refreshedTokens.access_token}x`, tokens.id_token]) {
        const answer = await portico.call("/userinfo", { token: bearer });
        assert.equal(answer.status, 401);
        seen("/userinfo with a token that is not one", await answer.text());
      }
      const introspected = await fetch(
        `${portico.url}/oauth2/introspect`,
        form({ token: refreshedTokens.access_token }, { authorization: basicAuth(clientId, secret) }),
      );
      seen("introspection", await introspected.text());
      const revoked = await fetch(
        `${portico.url}/oauth2/revoke`,
        form({ token: refreshedTokens.refresh_token }, { authorization: basicAuth(clientId, wrong) }),
      );
      seen("revocation with a wrong secret", await revoked.text());

      // The code again: refused (and what it gave revoked).
      const reused = await fetch(
        `${portico.url}/oauth2/token`,
        form(
          { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI },
          { authorization: basicAuth(clientId, secret) },
        ),
      );
      assert.equal(reused.status, 400);
      seen("a code used twice", await reused.text());

      // Password reset by mail, then a change on the account page.
      const forgotPage = await browser.get("/forgot-password");
      const forgot = await browser.submit("/forgot-password", forgotPage.body, { email });
      assert.equal(forgot.status, 303, forgot.body.slice(0, 500));
      const resetToken = keep("a password-reset token", await mail.tokenFor(email, "/reset-password"));
      const resetPage = await browser.get(`/reset-password?token=${encodeURIComponent(resetToken)}`);
      assert.equal(resetPage.status, 200, resetPage.body.slice(0, 300));
      const newPassword = keep("a new password (reset)", random("Reset pass phrase"));
      const reset = await browser.submit("/reset-password", resetPage.body, { password: newPassword });
      assert.equal(reset.status, 303, reset.body.slice(0, 500));
      const signInAgain = await browser.follow(await browser.get("/login"));
      const again = await browser.submit(signInAgain.url ?? "/login", signInAgain.body, {
        email,
        password: newPassword,
      });
      assert.equal(again.status, 303, again.body.slice(0, 500));
      const account = await browser.follow(await browser.get("/account"));
      assert.equal(account.status, 200, account.body.slice(0, 300));
      const changedPassword = keep("a new password (change)", random("Changed pass phrase"));
      const wrongCurrent = await browser.submit("/account", account.body, {
        current: keep("a wrong current password", random("Wrong current")),
        password: changedPassword,
      });
      seenPage("a refused password change", wrongCurrent.body);
      const changed = await browser.submit("/account", account.body, {
        current: newPassword,
        password: changedPassword,
      });
      assert.equal(changed.status, 303, changed.body.slice(0, 500));
      for (const [name, value] of browser.cookies()) keep(`the cookie ${name} after the change`, value);

      // The mail server refuses: the failure is logged, its password is not.
      mail.state.refuse = true;
      const refusedMailPage = await browser.get("/forgot-password");
      await browser.submit("/forgot-password", refusedMailPage.body, { email });
      const deadline = Date.now() + 15_000;
      while (!portico.output().includes("could not send an email") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(portico.output(), /could not send an email/);
      mail.state.refuse = false;

      // Everything the process wrote, and every answer: no secret where it does not belong.
      const output = portico.output();
      const forms = (value: string) => [
        value,
        encodeURIComponent(value),
        Buffer.from(value).toString("base64"),
      ];
      const found = [...secrets]
        .filter(([, value]) => forms(value).some((form) => output.includes(form)))
        .map(([label]) => label);
      assert.deepEqual(found, [], `secrets in the server's output:\n${output}`);
      for (const answer of answers) {
        const there = [...secrets]
          .filter(([, value]) => !answer.allowed.includes(value) && answer.body.includes(value))
          .map(([label]) => label);
        assert.deepEqual(there, [], `secrets in ${answer.what}: ${answer.body.slice(0, 2000)}`);
        assert.doesNotMatch(answer.body, /\n\s+at .+:\d+:\d+/, `a stack trace in ${answer.what}`);
      }
    });
  });
}
