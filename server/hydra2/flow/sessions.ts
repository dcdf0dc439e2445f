import type { Hono } from "hono";
import { toV2Wire } from "@/server/hydra2/clients/model.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import type { Services } from "@/server/services.ts";

const MAX_PAGE_SIZE = 500;

/**
 * A login session id (`login_session_id`) or consent request id
 * (`consent_request_id`) as a query parameter: empty is absent, as in Hydra;
 * longer than any id this server makes, or holding control characters, is a
 * 400 (no id could match it).
 */
function idParameter(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  if (value.length > 128 || /\p{Cc}/u.test(value))
    throw AdminError.invalidRequest(`${name} is not a valid identifier`);
  return value;
}

/**
 * The consent sessions of Hydra's admin API, over the same record of what
 * a subject granted as the 2017 extension `/oauth2/auth/sessions/consent/…`:
 * one session per client that still holds a live token or code for the
 * subject, with every scope and access-token audience granted to it, and
 * whether the subject's consent to it is remembered (and for how long).
 * A session gathers every live grant of the client, each from its own
 * consent request: the session's `consent_request` names no challenge
 * (`challenge` is ""), shows the granted scopes as `requested_scope` and
 * leaves out the requested audience; `consent_request_id` names the consent
 * request only when every grant of the session came from that one.
 * `login_session_id` keeps the grants made in that login session.
 */
export function consentSessionRoutes(
  api: Hono,
  { subjectGrants, clients, hydra2Sessions, backchannel }: Services,
) {
  // listOAuth2ConsentSessions
  api.get("/admin/oauth2/auth/sessions/consent", async (c) => {
    const subject = c.req.query("subject");
    if (!subject) throw AdminError.invalidRequest("subject is required");
    const loginSessionId = idParameter(c.req.query("login_session_id"), "login_session_id");
    const rawSize = c.req.query("page_size");
    if (rawSize && !(/^\d+$/.test(rawSize) && Number(rawSize) >= 1 && Number(rawSize) <= MAX_PAGE_SIZE))
      throw AdminError.invalidRequest(`page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    const size = rawSize ? Number(rawSize) : 250;
    const token = c.req.query("page_token");
    if (token && !/^\d{1,9}$/.test(Buffer.from(token, "base64url").toString("utf8")))
      throw AdminError.invalidRequest("page_token is not valid");
    const offset = token ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;

    const grants = await subjectGrants.list(subject, loginSessionId ? { sid: loginSessionId } : {});
    const page = grants.slice(offset, offset + size);
    // The links keep the filter: the next page is of the same list.
    const query = { subject, ...(loginSessionId ? { login_session_id: loginSessionId } : {}) };
    const links = [
      `</admin/oauth2/auth/sessions/consent?${new URLSearchParams({ ...query, page_size: String(size) })}>; rel="first"`,
    ];
    if (offset + size < grants.length) {
      const next = Buffer.from(String(offset + size), "utf8").toString("base64url");
      links.push(
        `</admin/oauth2/auth/sessions/consent?${new URLSearchParams({ ...query, page_size: String(size), page_token: next })}>; rel="next"`,
      );
    }
    c.header("link", links.join(","));

    const remembered = await hydra2Sessions.rememberedConsents(
      subject,
      page.map((grant) => grant.clientId),
    );
    const sessions = [];
    for (const grant of page) {
      const client = await clients.get(grant.clientId);
      const remember = remembered.get(grant.clientId);
      const [only, ...others] = grant.consentRequestIds;
      sessions.push({
        ...(only && others.length === 0 ? { consent_request_id: only } : {}),
        consent_request: {
          challenge: "",
          ...(client ? { client: toV2Wire(client) } : {}),
          subject,
          requested_scope: grant.scopes,
          skip: false,
        },
        grant_scope: grant.scopes,
        grant_access_token_audience: grant.audience,
        remember: remember !== undefined,
        remember_for: remember?.rememberFor ?? 0,
        handled_at: grant.grantedAt.toISOString(),
        session: {},
      });
    }
    return c.json(sessions);
  });

  // revokeOAuth2ConsentSessions: the subject's grants to one client, or to all; or (consent_request_id,
  // alone, as in Hydra) what one consent request granted. Their tokens stop at once.
  api.delete("/admin/oauth2/auth/sessions/consent", async (c) => {
    const subject = c.req.query("subject");
    const client = c.req.query("client");
    const all = c.req.query("all");
    const consentRequestId = idParameter(c.req.query("consent_request_id"), "consent_request_id");
    if (all !== undefined && all !== "true" && all !== "false")
      throw AdminError.invalidRequest("all must be true or false");
    if (consentRequestId) {
      if (subject || client || all === "true")
        throw AdminError.invalidRequest("Send consent_request_id alone, without subject, client or all");
      // An unknown id revokes nothing: 204, as in Hydra.
      await subjectGrants.revokeConsentRequest(consentRequestId);
      return c.body(null, 204);
    }
    if (!subject) throw AdminError.invalidRequest("subject (or consent_request_id) is required");
    if (client && all === "true") throw AdminError.invalidRequest("Send client or all=true, not both");
    if (!client && all !== "true") throw AdminError.invalidRequest("Send client or all=true");
    // The tokens and the remembered consents go together: both or neither.
    await subjectGrants.revoke(subject, client || undefined, { forgetRemembered: true });
    return c.body(null, 204);
  });

  // revokeOAuth2LoginSessions: the login sessions of a subject, or the one a session id names; the next
  // authorization request in those browsers shows the login step again, and the clients those sessions
  // signed in to are told by back-channel logout. (Hydra tells them only for `sid`; this server also for
  // `subject`, whose sessions end just the same.) An unknown sid ends nothing: 204, as Hydra.
  api.delete("/admin/oauth2/auth/sessions/login", async (c) => {
    const subject = c.req.query("subject");
    const sid = c.req.query("sid");
    if (subject && sid) throw AdminError.invalidRequest("Send subject or sid, not both");
    if (!subject && !sid) throw AdminError.invalidRequest("Send subject or sid");
    if (subject) {
      await hydra2Sessions.endLogins({ subject });
      void backchannel.sessionsEnded({ subject });
    } else {
      const ended = await hydra2Sessions.endLogin(sid as string);
      if (ended) void backchannel.sessionsEnded({ sid: sid as string, subject: ended.subject });
    }
    return c.body(null, 204);
  });
}
