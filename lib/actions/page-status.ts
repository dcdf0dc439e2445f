import type { ServerResponse } from "node:http";
import { pageRequest, pageResponse } from "@/common/page-request.ts";

/**
 * The HTTP status a page asks for when it shows a failure rather than what
 * was asked for (the API it depends on did not answer, or not usably): the
 * friendly page still, but a 502, 503 or 504 that says so to the browser,
 * monitoring and any proxy. Next.js gives a page no way to choose its status,
 * so a page that notes one (`answerWithStatus` in lib/actions/navigation.ts)
 * reaches the response of the request it renders (common/page-request.ts,
 * which the server runs Next.js's handler in) and has it send that status
 * instead of Next.js's 200. A page that notes none costs nothing here.
 */

/** The status noted on a response; on the response itself, so it goes with it. */
const NOTED = Symbol.for("portico.pageStatus");

type Noted = ServerResponse & { [NOTED]?: number };

/**
 * Called by a page load (GET or HEAD) that shows a failure: answer `status`
 * instead of 200. Node decides a status written without writeHead through
 * writeHead too. Too late once the response started (the page stays a 200).
 * `formPost`: a form posted without JavaScript (a POST answered with its page
 * drawn again) may note one too; never Next.js's own action call.
 */
export function notePageStatus(status: number, options: { formPost?: boolean } = {}): void {
  const method = pageRequest()?.method;
  const res = pageResponse() as Noted | undefined;
  const page = method === "GET" || method === "HEAD" || (options.formPost === true && method === "POST");
  if (!res || !page || res.headersSent) return;
  if (res[NOTED] === undefined) {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Noted, code: number, ...rest: unknown[]) {
      return writeHead.call(this, code === 200 ? (this[NOTED] ?? code) : code, ...(rest as []));
    } as ServerResponse["writeHead"];
  }
  res[NOTED] = status;
}
