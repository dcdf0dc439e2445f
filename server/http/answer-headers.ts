import type { Context } from "hono";
import { ACCEPTED_ENCODING } from "./body.ts";

/**
 * The headers both APIs' answers get on their way out. An answer that must not be kept (`noStore`:
 * it can carry a client secret, a token's claims or private keys) says `Cache-Control: no-store`
 * unless its route chose otherwise, and every `no-store` answer says it to HTTP/1.0 caches too
 * (Pragma, as RFC 6749 §5.1 asks of token answers). A compressed body is refused unread
 * (server/http/body.ts): its 415 says which coding is taken (RFC 7694 §3).
 */
export function finishAnswerHeaders(c: Context, noStore: boolean): void {
  if (noStore && !c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  if (c.res.headers.get("cache-control") === "no-store" && !c.res.headers.has("pragma"))
    c.header("pragma", "no-cache");
  if (c.res.status === 415) c.res.headers.set("accept-encoding", ACCEPTED_ENCODING);
}
