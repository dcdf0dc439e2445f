/**
 * Which form posts reached a server action (lib/actions/action.ts). Next.js
 * decodes a server action's arguments before any code of ours runs, and a
 * body it cannot decode (a multipart post without React's encoding) ends in
 * a 500 from inside Next.js. The pages' front (lib/front.ts) gives every form
 * post an id in a request header, `formAction` notes it when it starts, and a
 * 500 for a post whose action never started is the request's fault: the
 * front answers it with a 400 instead.
 *
 * The front and the actions are bundled apart (dist/app/routes.js and
 * Next.js's server bundle), so the notes live on `globalThis`.
 */

/** The header the front sets (replacing any the client sent). */
export const ACTION_CALL_HEADER = "x-portico-form-post";

const STARTED = Symbol.for("portico.formActionsStarted");

function started(): Set<string> {
  const global = globalThis as { [STARTED]?: Set<string> };
  global[STARTED] ??= new Set();
  return global[STARTED];
}

/** Called by a server action as it starts, with the header's value. */
export function noteActionStarted(id: string | null): void {
  if (id) started().add(id);
}

/** Whether the action of the post `id` started; forgets the id either way. */
export function actionStarted(id: string): boolean {
  return started().delete(id);
}
