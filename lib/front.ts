import type { IncomingMessage, ServerResponse } from "node:http";
import { parse, serialize } from "hono/utils/cookie";
import { clipped } from "@/common/log.ts";
import { ACTION_CALL_HEADER, actionStarted, closeFormPost, openFormPost } from "@/lib/actions/calls.ts";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";
import { securityHeaders } from "@/lib/security/headers.ts";
import {
  anonymousSession,
  openSession,
  sealSession,
  sessionCookieName,
  sessionCookieOptions,
} from "@/lib/session/seal.ts";

/** Build assets and the files under public/: served as they are, without the front. */
const ASSET = /^\/(?:_next\/static\/|_next\/image|brand\/|demo\/logo\.svg$|favicon\.ico$)/;

/** Whether a request for `path` goes through pageFront before Next.js (else assetFront). */
export function needsFront(path: string): boolean {
  return !ASSET.test(path);
}

/** For build assets and files: no script of their own, no framing (an SVG opened on its own is a document). */
const ASSET_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * The headers of a request that skips the front: a build asset or a file of
 * public/, and the page Next.js answers for a path under those prefixes that
 * is no file (its 404 page). No session, no nonce, and Next.js's own caching
 * headers are left as they are.
 */
export function assetFront(res: ServerResponse): void {
  for (const [name, value] of Object.entries(ASSET_HEADERS)) res.setHeader(name, value);
}

/**
 * The largest form post the pages take: Next.js's own limit for a server
 * action's body (`serverActions.bodySizeLimit`, 1 MB by default), which it
 * enforces by throwing — a 500. A browser's form post always says its
 * length, so it is checked here, before anything is read.
 */
const MAX_FORM_BYTES = 1024 * 1024;

/** Answers 411 for a post without a length and 413 for one over the limit; true when neither. */
function acceptableFormLength(req: IncomingMessage, res: ServerResponse): boolean {
  const declared = req.headers["content-length"];
  const length = declared === undefined ? Number.NaN : Number(declared);
  if (Number.isSafeInteger(length) && length <= MAX_FORM_BYTES) return true;
  const tooLarge = Number.isSafeInteger(length) || (declared !== undefined && /^\d+$/.test(declared));
  res.writeHead(tooLarge ? 413 : 411, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end(tooLarge ? "This form is too large.\n" : "A form post must say its length (Content-Length).\n");
  return false;
}

/**
 * The app's route handlers that answer GET alone (each only decides and
 * redirects); every other path is a page, which answers GET and a POST for its
 * server actions (NextAuth's routes under /api/auth too).
 */
const GET_ONLY = new Set(["/consent", "/logout"]);

/** Methods a path of the pages answers: as an `Allow` header writes them, and as a set to look one up in. */
interface PageMethods {
  allow: string;
  methods: ReadonlySet<string>;
}

function pageMethodsOf(allow: string): PageMethods {
  return { allow, methods: new Set(allow.split(", ")) };
}

const GET_ONLY_METHODS = pageMethodsOf("GET, HEAD, OPTIONS");
const PAGE_METHODS = pageMethodsOf("GET, HEAD, OPTIONS, POST");

function pageMethods(path: string): PageMethods {
  return GET_ONLY.has(path) ? GET_ONLY_METHODS : PAGE_METHODS;
}

/**
 * Answers a method the path does not take: OPTIONS with the methods it does
 * (RFC 9110 §9.3.7), any other with a 405 naming them (§15.5.6). Next.js
 * rendered a page for PUT, PATCH or DELETE with a 200, as if it had done
 * something, answered a route handler's 405 without `Allow`, and OPTIONS on a
 * page with an empty 400. True when it answered.
 */
function refusedMethod(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const { allow, methods } = pageMethods(path);
  const method = req.method ?? "GET";
  if (method === "OPTIONS") {
    res.writeHead(204, { allow, "cache-control": "no-store" }).end();
    return true;
  }
  if (methods.has(method)) return false;
  res.writeHead(405, {
    allow,
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(`This page does not answer ${method}.\n`);
  return true;
}

/**
 * A form post's 500 from Next.js before its server action started is a body
 * Next.js could not decode (lib/actions/calls.ts): answered as the 400 it
 * is, with the front's headers. A 500 from an action that ran stays a 500.
 */
function refuseUndecodableActions(req: IncomingMessage, res: ServerResponse): void {
  const id = crypto.randomUUID();
  req.headers[ACTION_CALL_HEADER] = id;
  openFormPost(id);
  res.once("close", () => closeFormPost(id));
  const writeHead = res.writeHead;
  let refused = false;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (status === 500 && !actionStarted(id)) {
      refused = true;
      this.removeHeader("content-length");
      this.removeHeader("content-encoding");
      return writeHead.call(this, 400, {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
      });
    }
    return writeHead.call(this, status, ...(rest as []));
  } as ServerResponse["writeHead"];
  // A body written without writeHead would decide the status inside Node's write: decide it first.
  const decide = (response: ServerResponse) => {
    if (!response.headersSent && response.statusCode === 500) response.writeHead(500);
    return refused;
  };
  const end = res.end;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (!decide(this)) return end.apply(this, args as Parameters<ServerResponse["end"]>);
    // Next.js's own body (its error page or an error digest) is not this answer's.
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    const message = "This form could not be read. Please reload the page and try again.\n";
    return end.call(this, message, "utf8", callback);
  } as ServerResponse["end"];
  const write = res.write;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    if (decide(this)) return true;
    return write.apply(this, args as Parameters<ServerResponse["write"]>);
  } as ServerResponse["write"];
}

/**
 * What every request for a page, a server action or a NextAuth route gets
 * before Next.js sees it. The server (server/serve.ts) runs it in front of
 * Next.js rather than as a Next.js proxy (middleware), which costs a few
 * milliseconds of CPU per request on top of its own work:
 *
 * - the response's security headers with a fresh CSP nonce; Next.js reads the
 *   nonce from the request's CSP and puts it on its own scripts, the root
 *   layout reads it from `x-nonce` (a client's own values are replaced);
 * - a form post from another site (or from an opaque origin that is not this
 *   page's own) is refused here with a plain 403 (Next.js's own check would
 *   answer it with a 500);
 * - a visitor without a session gets an anonymous one, so that the first
 *   form they see already carries a CSRF token; the request itself carries
 *   it on to Next.js, so this request's render sees the session its response
 *   creates;
 * - the answer is not compressed: a page carries the session's CSRF token
 *   next to text the request chooses (a login_hint, the consent id), and the
 *   length of a compressed page would give the token away to someone who
 *   can make a browser ask many times and watch the sizes (BREACH). Without
 *   Accept-Encoding Next.js sends it as it is; build assets, which hold no
 *   secret, do not pass here and stay compressed.
 *
 * A page load (GET) may answer another status than Next.js's 200: a page that
 * shows a failure of the API it depends on notes a 5xx on its response
 * (lib/actions/page-status.ts), which the server hands it (server/serve.ts).
 *
 * A form post must say its length and stay within Next.js's limit for a
 * server action (411 and 413 here, where Next.js would answer a 500). A
 * method the path does not answer is a 405 with `Allow`, OPTIONS a 204 with it.
 *
 * `path` is the request's URL without its query, as the server split it off.
 * Answers false when it answered the request itself (a refusal).
 */
export async function pageFront(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const { cookieSecret, previousCookieSecrets, secureCookies, issuer } = appConfig();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const headers = securityHeaders(nonce, secureCookies);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);

  const issuerOrigin = new URL(issuer).origin;
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  // The form-post id is the front's own (refuseUndecodableActions): never one a client sent.
  delete req.headers[ACTION_CALL_HEADER];
  if (refusedMethod(req, res, path)) return false;
  if (req.method === "POST" && !acceptableFormLength(req, res)) return false;
  if (req.method === "POST" && !path.startsWith("/api/auth/")) {
    refuseUndecodableActions(req, res);
    const ownPage = origin === "null" && site === "same-origin";
    const crossSite = site !== undefined && site !== "same-origin";
    if ((origin !== undefined && origin !== issuerOrigin && !ownPage) || crossSite) {
      // Also what a site reached under another host than ISSUER's sees on every form: say so.
      log().warn("refused a form post from another site", {
        path: clipped(path),
        origin: clipped(origin),
        site: clipped(site),
        expected: issuerOrigin,
      });
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
      res.end("This form must be sent from this site.\n");
      return false;
    }
  }

  const cookieName = sessionCookieName(secureCookies);
  const cookies = req.headers.cookie;
  const current = await openSession(
    cookies ? parse(cookies, cookieName)[cookieName] : undefined,
    cookieSecret,
    previousCookieSecrets,
  );
  // A cookie sealed with a previous secret (a rotation) is sealed again with the current one, as it is.
  if (!current.data || current.stale) {
    const session = current.data ?? anonymousSession();
    const seal = await sealSession(session, cookieSecret);
    const options = { ...sessionCookieOptions(session, secureCookies), sameSite: "Lax" as const };
    res.appendHeader("set-cookie", serialize(cookieName, seal, options));
    const others = (cookies ?? "")
      .split(";")
      .map((pair) => pair.trim())
      .filter((pair) => pair !== "" && !pair.startsWith(`${cookieName}=`));
    req.headers.cookie = [...others, `${cookieName}=${seal}`].join("; ");
  }

  delete req.headers["accept-encoding"];
  // Next.js takes the site's host from X-Forwarded-Host, else Host, and refuses a server action whose
  // Origin names another. Behind a reverse proxy that passes on its own upstream address as Host (nginx's
  // default) every form post failed so, though its Origin is ISSUER's, checked above. The site is
  // ISSUER's, whatever a client or a proxy wrote into these headers.
  const issuerUrl = new URL(issuer);
  req.headers["x-forwarded-host"] = issuerUrl.host;
  req.headers["x-forwarded-proto"] = issuerUrl.protocol.slice(0, -1);
  req.headers["x-nonce"] = nonce;
  req.headers["content-security-policy"] = headers["content-security-policy"];
  // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` even on a page's own form
  // posts, which Next.js's server-action check refuses. Sec-Fetch-Site, which pages cannot set,
  // tells those apart from a cross-site post; only those get their origin back.
  if (req.method === "POST" && origin === "null" && site === "same-origin") {
    req.headers.origin = issuerOrigin;
  }
  return true;
}
