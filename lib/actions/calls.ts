/**
 * Which form posts reached a server action (lib/actions/action.ts). Next.js
 * decodes a server action's arguments before any code of ours runs, and a
 * body it cannot decode (a multipart post without React's encoding) ends in
 * a 500 from inside Next.js. The pages' front (lib/front.ts) gives every form
 * post an id in a request header while it is open, `formAction` notes it
 * when it starts, and a 500 for a post whose action never started is the
 * request's fault: the front answers it with a 400 instead.
 *
 * The front and the actions are bundled apart (dist/app/routes.js and
 * Next.js's server bundle), so the notes live on `globalThis`.
 */

/** The header the front sets (replacing any the client sent). */
export const ACTION_CALL_HEADER = "x-portico-form-post";

const POSTS = Symbol.for("portico.formPosts");

/** Each open form post's id, and whether its action started. */
function posts(): Map<string, boolean> {
  const global = globalThis as { [POSTS]?: Map<string, boolean> };
  global[POSTS] ??= new Map();
  return global[POSTS];
}

/** Called by the front as a form post arrives, with the id it puts in the header. */
export function openFormPost(id: string): void {
  posts().set(id, false);
}

/**
 * Called by a server action as it starts, with the header's value. Only a
 * post the front opened and has not closed is noted: an action Next.js
 * starts after its client went away leaves nothing behind.
 */
export function noteActionStarted(id: string | null): void {
  if (id && posts().has(id)) posts().set(id, true);
}

/** Whether the action of the post `id` started. */
export function actionStarted(id: string): boolean {
  return posts().get(id) === true;
}

/** Called by the front when the post's connection closes: its id is forgotten. */
export function closeFormPost(id: string): void {
  posts().delete(id);
}
