/**
 * The peer's login & consent pages: a small interaction app on oidc-provider's
 * documented interaction API (interactionDetails / interactionFinished and a
 * Grant for consent), written for the benchmark only. It does what Portico's
 * pages do per request that costs anything: a CSRF token bound to the
 * interaction and checked in constant time, an Origin check, argon2id with
 * Portico's parameters (its own hashPassword), no-store and anti-framing headers, plain HTML forms
 * that work without JavaScript. Its people come from PEER_USERS.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@node-rs/argon2";
import { hashPassword } from "@/lib/users/passwords.ts";

export interface PeerUser {
  id: string;
  email: string;
  /** argon2id, made with Portico's parameters by the bench. */
  passwordHash: string;
}

interface Interaction {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, string>;
  session?: { accountId?: string };
  grantId?: string;
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

/** The part of oidc-provider's Provider the interaction app uses. */
interface InteractionProvider {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  issuer: string;
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  };
}

/** Checked for an unknown email, so it costs what a wrong password costs. */
let dummyHash: Promise<string> | undefined;

/** The same key in every worker: a form served by one is posted to another. */
const CSRF_KEY = "bench-peer-interaction-csrf-key";

const csrfFor = (uid: string) => createHmac("sha256", CSRF_KEY).update(uid).digest("base64url");

function csrfValid(uid: string, given: string | null): boolean {
  const expected = Buffer.from(csrfFor(uid));
  const actual = Buffer.from(given ?? "");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

function page(res: ServerResponse, title: string, body: string, status = 200): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
  );
}

function signInPage(res: ServerResponse, uid: string, email = "", error?: string): void {
  page(
    res,
    "Sign in",
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="csrf" value="${csrfFor(uid)}">
<label>Email <input type="email" name="email" value="${escapeHtml(email)}" required></label>
<label>Password <input type="password" name="password" required></label>
<label><input type="checkbox" name="remember"> Remember me</label>
<button type="submit">Sign in</button>
</form>`,
    error ? 401 : 200,
  );
}

function consentPage(res: ServerResponse, interaction: Interaction): void {
  const scopes = (interaction.params.scope ?? "").split(" ").filter(Boolean);
  page(
    res,
    `${interaction.params.client_id} wants to access your account`,
    `<form method="post" action="/interaction/${escapeHtml(interaction.uid)}/confirm">
<input type="hidden" name="csrf" value="${csrfFor(interaction.uid)}">
${scopes.map((scope) => `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked> ${escapeHtml(scope)}</label>`).join("\n")}
<label><input type="checkbox" name="remember"> Remember my decision</label>
<button type="submit" name="decision" value="allow">Allow access</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export function interactionApp(provider: InteractionProvider, users: PeerUser[]) {
  const origin = new URL(provider.issuer).origin;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", origin).pathname;
    const [, , uid = "", action] = path.split("/");
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== uid) return page(res, "Unknown request", "<p>Start again.</p>", 400);

    if (req.method === "GET" && action === undefined) {
      if (interaction.prompt.name === "login") return signInPage(res, uid);
      return consentPage(res, interaction);
    }
    if (req.method !== "POST") return page(res, "Not allowed", "", 405);
    const form = await readForm(req);
    if (req.headers.origin !== origin || !csrfValid(uid, form.get("csrf"))) {
      return page(res, "Refused", "<p>This form expired. Start again.</p>", 403);
    }

    if (action === "login" && interaction.prompt.name === "login") {
      const email = form.get("email") ?? "";
      const user = users.find((candidate) => candidate.email === email.toLowerCase());
      dummyHash ??= hashPassword("bench: no such person");
      const hashed = user?.passwordHash ?? (await dummyHash);
      const ok = await verify(hashed, form.get("password") ?? "").catch(() => false);
      if (!user || !ok) return signInPage(res, uid, email, "Wrong email or password.");
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.id, remember: form.get("remember") === "on" } },
        { mergeWithLastSubmission: false },
      );
    }

    if (action === "confirm" && interaction.prompt.name === "consent") {
      if (form.get("decision") !== "allow") {
        return provider.interactionFinished(
          req,
          res,
          { error: "access_denied", error_description: "The person denied access" },
          { mergeWithLastSubmission: false },
        );
      }
      const accountId = interaction.session?.accountId;
      if (!accountId) return page(res, "Refused", "<p>Sign in first.</p>", 400);
      const grant =
        (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
        new provider.Grant({ accountId, clientId: interaction.params.client_id ?? "" });
      const details = interaction.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const granted = new Set(form.getAll("scope"));
      const scopes = (details.missingOIDCScope ?? []).filter((scope) => granted.has(scope));
      if (scopes.length > 0) grant.addOIDCScope(scopes.join(" "));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scope] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scope.join(" "));
      }
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
    }
    return page(res, "Unknown step", "<p>Start again.</p>", 400);
  };
}
