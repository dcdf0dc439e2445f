import type { ComponentProps, ReactNode, Ref } from "react";
import { CSRF_FIELD } from "@/lib/actions/state.ts";
import { brand } from "@/lib/brand/brand.ts";

/**
 * The building blocks of every page. Plain elements styled with Tailwind,
 * usable from server and client components alike.
 */

function cx(...classes: (string | false | undefined | null)[]): string {
  return classes.filter(Boolean).join(" ");
}

export function Card({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div
      className={cx(
        "rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-900/5 sm:p-8 dark:bg-slate-900 dark:ring-white/10",
        className,
      )}
    >
      {children}
    </div>
  );
}

/**
 * The page's title, for a page whose title depends on what it shows (the form, or why it cannot be
 * used): WCAG 2.4.2 wants the tab to say what the page says. Such a page's metadata sets
 * `title: null`, so that this is the document's only <title> (React puts it in the head).
 */
export function PageTitle({ children }: { children: string }) {
  return <title>{`${children} · ${brand.name}`}</title>;
}

export function Heading({ children, id }: { children: ReactNode; id?: string }) {
  return (
    <h1 id={id} className="text-xl font-semibold tracking-tight text-balance sm:text-2xl">
      {children}
    </h1>
  );
}

export function Lead({ children }: { children: ReactNode }) {
  return <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</p>;
}

// The transparent border is drawn in forced colours (Windows High Contrast), which drop backgrounds and
// shadows: without it a button there is a word on the page with nothing to show it can be pressed.
const buttonBase =
  "inline-flex min-h-11 items-center justify-center gap-2 rounded-lg border border-transparent px-4 py-2.5 text-sm font-semibold transition-colors disabled:cursor-not-allowed disabled:opacity-60";

const buttonVariants = {
  primary: "bg-brand text-on-brand shadow-sm hover:bg-brand-hover",
  secondary:
    "bg-white text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50 dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-600 dark:hover:bg-slate-700",
  quiet: "text-brand underline-offset-4 hover:underline",
} as const;

type ButtonVariant = keyof typeof buttonVariants;

export function Button({
  variant = "primary",
  className,
  ...props
}: ComponentProps<"button"> & { variant?: ButtonVariant }) {
  return <button className={cx(buttonBase, buttonVariants[variant], className)} {...props} />;
}

/** A link that looks like a button. Plain <a>: a full page load, never a client-side transition. */
export function ButtonLink({
  variant = "primary",
  className,
  ...props
}: ComponentProps<"a"> & { variant?: ButtonVariant }) {
  return <a className={cx(buttonBase, buttonVariants[variant], className)} {...props} />;
}

export function TextLink({ className, ...props }: ComponentProps<"a">) {
  return (
    <a className={cx("font-medium text-brand underline-offset-4 hover:underline", className)} {...props} />
  );
}

/**
 * A link to another site's page (a client's home page, privacy policy, terms), opened in a new tab so
 * the consent screen stays, and saying so (WCAG 3.2.5, technique G201): a screen reader hears it, and a
 * sighted person sees the arrow. It gets neither the opener nor a referrer.
 */
export function ExternalLink({ children, ...props }: Omit<ComponentProps<"a">, "target" | "rel">) {
  return (
    <TextLink {...props} target="_blank" rel="noopener noreferrer">
      {children}
      <span aria-hidden="true"> ↗</span>
      <span className="sr-only"> (opens in a new tab)</span>
    </TextLink>
  );
}

/**
 * A labelled input; its error is tied to it with aria-describedby and aria-invalid. Its edge is all that
 * shows where to type, so it keeps 3:1 against the field and the card, light and dark (WCAG 1.4.11).
 * Forced colours (Windows High Contrast) drop the ring, a shadow: there the transparent border is what
 * shows the field, and the transparent outline (outline-hidden, not outline-none) its focus.
 */
export function TextField({
  label,
  name,
  error,
  hint,
  ...input
}: ComponentProps<"input"> & { label: string; name: string; error?: string; hint?: string }) {
  const id = input.id ?? `field-${name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : undefined, error ? errorId : undefined].filter(Boolean).join(" ");
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        className={cx(
          "block min-h-11 w-full rounded-lg border border-transparent bg-white px-3 py-2 text-base shadow-sm ring-1 ring-slate-500 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-brand focus:outline-hidden sm:text-sm dark:bg-slate-950 dark:ring-slate-500",
          error && "ring-red-600 dark:ring-red-400",
        )}
        {...input}
      />
      {hint && (
        <p id={hintId} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

export function Checkbox({
  label,
  name,
  description,
  ...input
}: ComponentProps<"input"> & { label: ReactNode; name: string; description?: ReactNode }) {
  const id = input.id ?? `checkbox-${name}`;
  return (
    <div className="flex items-start gap-3">
      <input
        id={id}
        name={name}
        type="checkbox"
        aria-describedby={description ? `${id}-description` : undefined}
        className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-brand"
        {...input}
      />
      <div className="text-sm">
        <label htmlFor={id} className="font-medium">
          {label}
        </label>
        {description && (
          <p id={`${id}-description`} className="text-slate-600 dark:text-slate-400">
            {description}
          </p>
        )}
      </div>
    </div>
  );
}

/** A message that screen readers announce at once (role="alert"). */
export function Alert({
  children,
  tone = "error",
  id,
  ref,
  tabIndex,
  autoFocus,
}: {
  children: ReactNode;
  tone?: "error" | "info";
  id?: string;
  ref?: Ref<HTMLDivElement>;
  tabIndex?: number;
  autoFocus?: boolean;
}) {
  return (
    <div
      id={id}
      ref={ref}
      tabIndex={tabIndex}
      // biome-ignore lint/a11y/noAutofocus: only a refusal or a notice drawn by the server has it (RefusalAlert, Notice)
      autoFocus={autoFocus}
      role="alert"
      className={cx(
        "rounded-lg px-4 py-3 text-sm ring-1 ring-inset",
        tone === "error"
          ? "bg-red-50 text-red-800 ring-red-200 dark:bg-red-950/50 dark:text-red-200 dark:ring-red-900"
          : "bg-brand-tint text-slate-800 ring-slate-200 dark:text-slate-100 dark:ring-slate-700",
      )}
    >
      {children}
    </div>
  );
}

/**
 * The account a password form is about, for password managers only: a form with a password field and
 * no username field leaves them guessing which saved login to fill or update (Chromium warns "Password
 * forms should have (optionally hidden) username fields"). Hidden, and without a name: never posted.
 */
export function AccountUsername({ email }: { email: string }) {
  return <input type="email" autoComplete="username" value={email} readOnly hidden />;
}

/** The session's CSRF token, which every form posts back. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}
