import "server-only";
import { randomUUID } from "node:crypto";
import { headers } from "next/headers";
import { z } from "zod";
import { clipped } from "@/common/log.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";
import { csrfTokenMatches } from "@/lib/security/csrf.ts";
import { currentSession } from "@/lib/session/index.ts";
import type { SessionData } from "@/lib/session/seal.ts";
import { ACTION_CALL_HEADER, noteActionStarted } from "./calls.ts";
import { answerFormPostWithStatus } from "./navigation.ts";
import { CSRF_FIELD, type FormState } from "./state.ts";

export type { FormState } from "./state.ts";

export interface ActionContext {
  session: SessionData;
  headers: Headers;
}

/**
 * Turns form data into a plain object for zod: a field sent once is a
 * string, a field sent several times (checkboxes) an array. Next.js's own
 * `$ACTION_…` fields are left out.
 */
function formObject(form: FormData): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    if (key.startsWith("$ACTION")) continue;
    const values = form.getAll(key).filter((value): value is string => typeof value === "string");
    result[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return result;
}

/**
 * The first field holding U+0000, which no field may hold whatever its schema:
 * PostgreSQL's text refuses the character while SQLite stores and compares it,
 * so a query with it was a 500 on one backend and an answer on the other (as
 * the APIs refuse it in any parameter or JSON string).
 */
function nulField(fields: Record<string, string | string[]>): string | undefined {
  for (const [key, value] of Object.entries(fields)) {
    if ([value].flat().some((text) => text.includes("\0"))) return key;
  }
  return undefined;
}

/**
 * The fields a form refused by its schema shows again as they were typed, so the person corrects
 * what they wrote rather than find it gone (or the saved value back under the error about theirs).
 * Never a password: only these.
 */
const SHOWN_AGAIN = ["name", "email", "remember"] as const;

function shownAgain(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of SHOWN_AGAIN) {
    const value = form.get(field);
    if (typeof value === "string") values[field] = value;
  }
  return values;
}

/** A checkbox or repeated field as an array, whether it was sent zero, one or many times. */
export const repeated = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));

/** A checkbox: on when sent at all. */
export const checkbox = z
  .string()
  .optional()
  .transform((value) => value !== undefined);

/**
 * The one wrapper every server action goes through. Before the handler runs:
 * the Origin header, when the browser sent one, must be ISSUER's and the
 * Sec-Fetch-Site header, when sent, `same-origin` (on top of Next.js's own
 * Origin/Host check); the form's CSRF token must be this session's; and the
 * fields must pass the schema. A handler answers a FormState or ends in a
 * redirect; a refusal is a FormState with a new `id`.
 */
export function formAction<Schema extends z.ZodType<Record<string, unknown>>>(
  name: string,
  schema: Schema,
  handler: (input: z.output<Schema>, context: ActionContext) => Promise<FormState>,
): (previous: FormState, form: FormData) => Promise<FormState> {
  const checked = checkedAction(name, schema, handler);
  return async (previous, form: unknown) => {
    try {
      return await checked(previous, form);
    } catch (error) {
      // The database is down, unreachable or locked: an outage that heals without us, as the API
      // answers it (503, one line without a stack), not Next.js's 500 and "something went wrong".
      const outage = databaseUnavailable(error);
      if (!outage) throw error;
      log().warn("form action failed: the database is unavailable", { action: name, reason: outage });
      // A form posted without JavaScript gets its page drawn again with the alert, as a 503; Next.js's
      // own action call keeps its 200 (its client shows the error page for any other answer).
      await answerFormPostWithStatus(503);
      return {
        status: "error",
        id: randomUUID(),
        code: "unavailable",
        message: FORM_UNAVAILABLE,
      };
    }
  };
}

/** What a form answers while the database is unavailable. */
export const FORM_UNAVAILABLE =
  "This service is temporarily unavailable. Nothing was changed: please try again in a moment.";

function checkedAction<Schema extends z.ZodType<Record<string, unknown>>>(
  name: string,
  schema: Schema,
  handler: (input: z.output<Schema>, context: ActionContext) => Promise<FormState>,
): (previous: FormState, form: unknown) => Promise<FormState> {
  return async (_previous, form: unknown) => {
    const requestHeaders = await headers();
    noteActionStarted(requestHeaders.get(ACTION_CALL_HEADER));
    const session = await currentSession();
    // An action is a public endpoint whose arguments the caller chooses: a form's post always sends
    // its FormData, anything else (JSON arguments, the one-argument `$ACTION_ID_…` post) is refused.
    if (!(form instanceof FormData)) {
      log().info("refused a form action called without form data", { action: name });
      return {
        status: "error",
        id: randomUUID(),
        code: "invalid",
        message: "This form could not be read. Please reload the page and try again.",
        csrf: session.csrf,
      };
    }
    const origin = requestHeaders.get("origin");
    const site = requestHeaders.get("sec-fetch-site");
    const expectedOrigin = new URL(appConfig().issuer).origin;
    if ((origin !== null && origin !== expectedOrigin) || (site !== null && site !== "same-origin")) {
      log().warn("refused a form post from another site", {
        action: name,
        origin: clipped(origin),
        site: clipped(site),
      });
      return {
        status: "error",
        id: randomUUID(),
        code: "origin",
        message: `This form must be sent from ${expectedOrigin}.`,
        csrf: session.csrf,
      };
    }
    if (!csrfTokenMatches(session.csrf, form.get(CSRF_FIELD))) {
      log().info("refused a form post without this session's CSRF token", { action: name });
      return {
        status: "error",
        id: randomUUID(),
        code: "csrf",
        message: "This page was open for too long or your session changed. Please try again.",
        csrf: session.csrf,
      };
    }
    const fields = formObject(form);
    const withNul = nulField(fields);
    const parsed = schema.safeParse(fields);
    if (withNul !== undefined || !parsed.success) {
      const fieldErrors: Record<string, string> = {};
      if (withNul !== undefined) fieldErrors[withNul] = "This field cannot hold a NUL character (U+0000)";
      for (const issue of parsed.error?.issues ?? []) {
        const field = String(issue.path[0] ?? "form");
        fieldErrors[field] ??= issue.message;
      }
      return {
        status: "error",
        id: randomUUID(),
        code: "invalid",
        message: "Please correct the highlighted fields.",
        fieldErrors,
        values: shownAgain(form),
        csrf: session.csrf,
      };
    }
    const result = await handler(parsed.data, { session, headers: requestHeaders });
    return result.status === "error" ? { ...result, id: randomUUID() } : result;
  };
}
