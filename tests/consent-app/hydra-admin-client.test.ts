/**
 * The app's Hydra 2.x admin client (Ory's SDK underneath) against a started
 * Portico's admin listener, and against answers no Hydra should give: every
 * failure is a HydraError the pages can explain.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { HydraAdminClient } from "@/lib/hydra/admin.ts";
import { HydraError } from "@/lib/hydra/errors.ts";
import { sdk } from "@/tests/hydra2/support.ts";
import { Browser } from "@/tests/oauth2/support.ts";
import { freePort } from "@/tests/support/ports.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";

async function failure(call: Promise<unknown>): Promise<HydraError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof HydraError, `a HydraError, not ${String(error)}`);
    return error;
  }
  throw new Error("the call succeeded");
}

describe("the Hydra 2.x admin client", () => {
  let portico: Portico;
  let client: HydraAdminClient;
  const redirectUri = "http://127.0.0.1:9/cb";

  before(async () => {
    portico = await startPortico({ hydraV2: true });
    client = new HydraAdminClient({ url: portico.adminUrl });
    await sdk(portico).oauth2.createOAuth2Client({
      oAuth2Client: {
        client_id: "admin-client-rp",
        client_name: "Admin Client RP",
        client_secret: "admin-client-rp-secret-0123",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid profile email",
      },
    });
  });
  after(async () => {
    await portico?.stop();
  });

  async function loginChallenge(browser = new Browser()): Promise<string> {
    const query = new URLSearchParams({
      response_type: "code",
      client_id: "admin-client-rp",
      redirect_uri: redirectUri,
      scope: "openid email",
      state: "state-0123456789",
      login_hint: "tess@example.com",
    });
    const location = new URL(
      (await browser.get(`${portico.url}/oauth2/auth?${query}`)).headers.get("location") ?? "",
    );
    return location.searchParams.get("login_challenge") ?? "";
  }

  test("reads a login request, accepts it, then the consent request, and rejects that", async () => {
    const browser = new Browser();
    const challenge = await loginChallenge(browser);
    const login = await client.getLoginRequest(challenge);
    assert.equal(login.skip, false);
    assert.equal(login.client.id, "admin-client-rp");
    assert.equal(login.client.client_name, "Admin Client RP");
    assert.deepEqual(login.requested_scope, ["openid", "email"]);
    assert.equal(login.oidc_context.loginHint, "tess@example.com");

    const next = await client.acceptLoginRequest(challenge, {
      subject: "user-1",
      remember: false,
      rememberFor: 0,
      amr: ["pwd"],
    });
    assert.ok(next.startsWith(`${portico.url}/oauth2/auth?`));
    const consentLocation = new URL((await browser.get(next)).headers.get("location") ?? "");
    const consentChallenge = consentLocation.searchParams.get("consent_challenge") ?? "";
    const consent = await client.getConsentRequest(consentChallenge);
    assert.equal(consent.subject, "user-1");
    assert.deepEqual(consent.amr, ["pwd"]);

    const denied = await client.rejectConsentRequest(consentChallenge, {
      error: "access_denied",
      error_description: "no",
    });
    const back = await browser.get(denied);
    assert.match(back.headers.get("location") ?? "", /error=access_denied/);
  });

  test("unknown is not_found; answered is already_handled (410 on get, 409 on accept)", async () => {
    assert.equal((await failure(client.getLoginRequest("no-such-challenge"))).code, "not_found");
    const challenge = await loginChallenge();
    await client.acceptLoginRequest(challenge, { subject: "u", remember: false, rememberFor: 0, amr: [] });
    assert.equal((await failure(client.getLoginRequest(challenge))).code, "already_handled");
    const again = client.acceptLoginRequest(challenge, {
      subject: "u",
      remember: false,
      rememberFor: 0,
      amr: [],
    });
    assert.equal((await failure(again)).code, "already_handled");
  });

  test("an answered request's 410: Portico names its client (the way back to it), Ory Hydra's names none", async () => {
    const challenge = await loginChallenge();
    await client.acceptLoginRequest(challenge, { subject: "u", remember: false, rememberFor: 0, amr: [] });
    const gone = await failure(client.getLoginRequest(challenge));
    assert.equal(gone.code, "already_handled");
    assert.equal(gone.client?.id, "admin-client-rp");
    assert.equal(gone.client?.client_name, "Admin Client RP");

    const answers: Array<() => Response> = [
      // Ory Hydra: only where the browser goes.
      () => Response.json({ redirect_to: "https://hydra.example/oauth2/auth?client_id=x" }, { status: 410 }),
      // A client whose link is no web address: parsed as every client, the link dropped.
      () =>
        Response.json(
          {
            redirect_to: "https://hydra.example/oauth2/auth?client_id=x",
            client: { client_id: "x", client_name: "X", client_uri: "javascript:alert(1)" },
          },
          { status: 410 },
        ),
    ];
    const scripted = (async () => (answers.shift() as () => Response)()) as typeof fetch;
    const hydra = new HydraAdminClient({ url: "http://hydra-admin.invalid", fetch: scripted });
    const plain = await failure(hydra.getConsentRequest("c"));
    assert.equal(plain.code, "already_handled");
    assert.equal(plain.client, undefined);
    const odd = await failure(hydra.getLoginRequest("c"));
    assert.equal(odd.code, "already_handled");
    assert.equal(odd.client?.client_uri, "");
  });

  test("an admin API that does not answer is unreachable", async () => {
    const nobody = new HydraAdminClient({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2000 });
    assert.equal((await failure(nobody.getConsentRequest("x"))).code, "unreachable");
  });

  test("an admin API that takes the connection but never answers is unreachable after the time limit", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const hung = new HydraAdminClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 });
      assert.equal((await failure(hung.getConsentRequest("x"))).code, "unreachable");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test("an answer that is not Hydra's model is bad_response, never used", async () => {
    const answers: Array<() => Response> = [
      () => Response.json({ challenge: "c", skip: "yes", subject: 1 }),
      () => new Response("<html>", { status: 200 }),
      () => Response.json({ redirect_to: "not a url" }),
      () => Response.json({ error: "server_error" }, { status: 500 }),
      () => Response.json([{ grant_scope: ["openid"], handled_at: "2026-01-01T00:00:00Z" }]),
    ];
    const scripted = (async () => (answers.shift() as () => Response)()) as typeof fetch;
    const odd = new HydraAdminClient({ url: "http://hydra-admin.invalid", fetch: scripted });
    assert.equal((await failure(odd.getLoginRequest("c"))).code, "bad_response");
    assert.equal((await failure(odd.getConsentRequest("c"))).code, "bad_response");
    assert.equal((await failure(odd.acceptLogoutRequest("c"))).code, "bad_response");
    assert.equal((await failure(odd.getLogoutRequest("c"))).code, "bad_response");
    // A consent session must name its client: the account page revokes by it.
    assert.equal((await failure(odd.listSubjectGrants("s"))).code, "bad_response");
  });
});
