/**
 * What every form's server action answers, shared by the actions and the
 * client components that render their forms (so nothing here may import
 * server code). `values` are the fields to show again (never a password);
 * `csrf` is the session's current token, in case the session changed since
 * the form was rendered.
 */
export type FormState<Values = Record<string, string>> =
  | { status: "idle" }
  /** Follow with a full page load; see navigation.ts. */
  | { status: "navigate"; url: string }
  | {
      status: "error";
      /** New for every answer, so that a repeated message is a new alert, announced again. */
      id?: string;
      code: string;
      message: string;
      fieldErrors?: Partial<Record<string, string>>;
      values?: Partial<Values>;
      csrf?: string;
    };

export const IDLE: FormState = { status: "idle" };

/** The form field every form sends its session's CSRF token in. */
export const CSRF_FIELD = "csrf";
