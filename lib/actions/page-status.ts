/**
 * The HTTP status a page asks for when it shows a failure rather than what
 * was asked for (the API it depends on did not answer, or not usably): the
 * friendly page still, but a 502, 503 or 504 that says so to the browser,
 * monitoring and any proxy. Next.js gives a page no way to choose its status,
 * so the pages' front (lib/front.ts) gives every page load an id in a request
 * header, the page notes its status under that id (`answerWithStatus` in
 * lib/actions/navigation.ts), and the front sends it instead of Next.js's 200.
 *
 * The front and the pages are bundled apart (dist/app/routes.js and Next.js's
 * server bundle), so the notes live on `globalThis`.
 */

/** The header the front sets on a page load (replacing any the client sent). */
export const PAGE_LOAD_HEADER = "x-portico-page-load";

const STATUSES = Symbol.for("portico.pageStatuses");

/** The status each page load noted, until its response starts or its connection closes. */
function statuses(): Map<string, number> {
  const global = globalThis as { [STATUSES]?: Map<string, number> };
  global[STATUSES] ??= new Map();
  return global[STATUSES];
}

/** Called by a page, with the header's value: answer `status` instead of 200. */
export function notePageStatus(id: string | null, status: number): void {
  if (id) statuses().set(id, status);
}

/** Called by the front as the response starts or the connection closes: the noted status, forgotten. */
export function takePageStatus(id: string): number | undefined {
  const map = statuses();
  const status = map.get(id);
  if (status !== undefined) map.delete(id);
  return status;
}
