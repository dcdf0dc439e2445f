import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { notePageStatus } from "./page-status.ts";
import type { FormState } from "./state.ts";

/**
 * Ends a server action by sending the browser to `url` with a full page load:
 * for destinations outside this app (`/oauth2/auth`) or pages that may act
 * on load (the consent page with a remembered decision). A plain page of this
 * app can take Next.js's `redirect()`.
 *
 * A form posted without JavaScript gets a plain 303. A form posted by
 * Next.js's client gets `{status: "navigate"}` instead, which the form
 * follows with `location.assign`: Next.js would otherwise fetch a same-host
 * redirect target itself, server-side with the browser's cookies, to inline
 * it, and then navigate client-side. For `/oauth2/auth` that would spend the
 * consent verifier outside the browser.
 */
export async function navigate(url: string): Promise<FormState> {
  if ((await headers()).has("next-action")) return { status: "navigate", url };
  redirect(url);
}

/**
 * Whether this render answers a browser's own page request, rather than a
 * client-side transition or the re-render that follows a server action.
 * Pages redirect outside this app only then, for the same reason as above.
 */
export async function isDocumentRequest(): Promise<boolean> {
  const h = await headers();
  return !h.has("rsc") && !h.has("next-action");
}

/**
 * Makes this page load answer `status` (a 5xx: the page shows a failure of
 * what it depends on) instead of 200; see lib/actions/page-status.ts. Only a
 * browser's own page load: a client-side transition's payload stays a 200,
 * which Next.js's router needs to show it.
 */
export async function answerWithStatus(status: number): Promise<void> {
  const h = await headers();
  if (!h.has("rsc") && !h.has("next-action")) notePageStatus(status);
}

/**
 * Whether this render answers a form posted without JavaScript (a plain
 * multipart or urlencoded post to the page's own address, which Next.js
 * answers with the page drawn again). Next.js's own posts (an action call,
 * and the render of the page an action redirects to) are not that. Such a
 * render is a refusal at the address the form was sent from: a notice that
 * address carries (`?done=name`, `?signed_out`) belongs to what came before,
 * not to this post.
 */
export async function isPlainFormPost(): Promise<boolean> {
  const h = await headers();
  return (
    h.has("content-type") && !h.has("next-action") && !(h.get("accept") ?? "").includes("text/x-component")
  );
}

/**
 * Makes a form posted without JavaScript answer `status` (a 5xx: the form
 * could not be handled because of what it depends on) rather than 200, with
 * its page drawn again and the alert on it. Next.js's own action call stays a
 * 200: its client takes no other answer for a form's state.
 */
export async function answerFormPostWithStatus(status: number): Promise<void> {
  if (await isPlainFormPost()) notePageStatus(status, { formPost: true });
}
