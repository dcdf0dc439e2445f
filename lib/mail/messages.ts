import { TOKEN_LIFETIME_MS } from "@/lib/accounts/tokens.ts";
import { brand } from "@/lib/brand/brand.ts";
import { durationInWords } from "@/lib/format/duration.ts";

/** How long a link of this purpose works, in words. */
const lifetime = (purpose: keyof typeof TOKEN_LIFETIME_MS) =>
  durationInWords(TOKEN_LIFETIME_MS[purpose] / 1000);

/** One email, in both forms every client can show: HTML and plain text. */
export interface MailMessage {
  subject: string;
  text: string;
  html: string;
  /** The links in the message, for the log when no SMTP server is configured. */
  links: string[];
}

function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

interface Body {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footnote: string;
}

/**
 * Lays out a message in the brand's colours and name. Every value is
 * escaped, and the only links are those the caller built from ISSUER.
 */
function compose({ subject, greeting, paragraphs, action, footnote }: Body): MailMessage {
  const { primary, onPrimary, background } = brand.colors.light;
  const text = [
    greeting,
    "",
    ...paragraphs.flatMap((paragraph) => [paragraph, ""]),
    ...(action ? [`${action.label}:`, action.url, ""] : []),
    footnote,
    "",
    `— ${brand.name}`,
  ].join("\n");
  const p = (content: string) =>
    `<p style="margin:0 0 16px;font-size:15px;line-height:1.5;color:#0f172a">${content}</p>`;
  const button = action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(action.url)}" style="display:inline-block;padding:12px 20px;border-radius:8px;background:${primary};color:${onPrimary};font-weight:600;text-decoration:none">${escapeHtml(action.label)}</a></p>` +
      p(
        `Or copy this link into your browser:<br><a href="${escapeHtml(action.url)}" style="color:${primary};word-break:break-all">${escapeHtml(action.url)}</a>`,
      )
    : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;background:${background};font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif">
<div style="max-width:520px;margin:0 auto;padding:32px;border-radius:16px;background:#ffffff">
<p style="margin:0 0 24px;font-size:18px;font-weight:600;color:${primary}">${escapeHtml(brand.name)}</p>
${p(escapeHtml(greeting))}
${paragraphs.map((paragraph) => p(escapeHtml(paragraph))).join("\n")}
${button}
<p style="margin:24px 0 0;font-size:13px;line-height:1.5;color:#475569">${escapeHtml(footnote)}</p>
</div>
</body></html>`;
  return { subject, text, html, links: action ? [action.url] : [] };
}

function hello(name: string | undefined): string {
  return name ? `Hello ${name},` : "Hello,";
}

const NOT_YOU = "If you did not ask for this, you can ignore this email: nothing changes.";

/** After sign-up: confirm the address (24 hours). */
export function verifyEmailMessage(input: { name?: string; link: string }): MailMessage {
  return compose({
    subject: `Confirm your email address for ${brand.name}`,
    greeting: hello(input.name),
    paragraphs: [
      `Please confirm that this is your email address, so that the apps you sign in to with ${brand.name} can rely on it.`,
    ],
    action: { label: "Confirm my email address", url: input.link },
    footnote: `The link works once, for ${lifetime("verify_email")}. ${NOT_YOU}`,
  });
}

/**
 * Someone signed up (or asked to move an account) to an address that already
 * has an account. The web page said "check your inbox" either way, so only
 * the owner of the inbox learns that the account exists.
 */
export function alreadyRegisteredMessage(input: {
  name?: string;
  signInLink: string;
  resetLink: string;
  /** What was asked: a new account, or another account's move to this address. */
  asked: "sign_up" | "change_email";
}): MailMessage {
  const what =
    input.asked === "sign_up"
      ? `Someone, probably you, tried to create a ${brand.name} account with this email address. You already have an account with it, so nothing was created.`
      : `Someone asked to move another ${brand.name} account to this email address. You already have an account with it, so nothing was changed: an address belongs to one account.`;
  return compose({
    subject: `You already have a ${brand.name} account`,
    greeting: hello(input.name),
    paragraphs: [
      what,
      `Sign in with your password, or, if you have forgotten it, reset it at ${input.resetLink}`,
    ],
    action: { label: "Sign in", url: input.signInLink },
    footnote: NOT_YOU,
  });
}

/** "Forgot password?": a single-use link for an hour. */
export function resetPasswordMessage(input: { name?: string; link: string }): MailMessage {
  return compose({
    subject: `Reset your ${brand.name} password`,
    greeting: hello(input.name),
    paragraphs: [
      "Someone, probably you, asked to reset the password of your account. Choose a new password with the link below.",
      "Resetting signs you out everywhere you are signed in.",
    ],
    action: { label: "Choose a new password", url: input.link },
    footnote: `The link works once, for ${lifetime("reset_password")}, and only the newest link you asked for works. ${NOT_YOU}`,
  });
}

/** "Forgot password?" for an address without an account; the page said "check your inbox" either way. */
export function noAccountMessage(input: { signUpLink: string | undefined }): MailMessage {
  return compose({
    subject: `About your ${brand.name} password reset`,
    greeting: hello(undefined),
    paragraphs: [
      `Someone, probably you, asked to reset the ${brand.name} password for this email address, but no account uses this address.`,
      input.signUpLink
        ? "If you signed up with another address, ask for the reset with that one. Or create an account:"
        : "If you signed up with another address, ask for the reset with that one.",
    ],
    action: input.signUpLink ? { label: "Create an account", url: input.signUpLink } : undefined,
    footnote: NOT_YOU,
  });
}

/** A signed-in person asked to use this new address. */
export function confirmNewEmailMessage(input: { name?: string; link: string }): MailMessage {
  return compose({
    subject: `Confirm your new email address for ${brand.name}`,
    greeting: hello(input.name),
    paragraphs: [
      `You asked to use this address for your ${brand.name} account. Confirm it, and it replaces your old address.`,
    ],
    action: { label: "Use this email address", url: input.link },
    footnote: `The link works once, for ${lifetime("change_email")}. ${NOT_YOU}`,
  });
}

/**
 * Sent to the old address once a change of address took effect, with the
 * link that puts the old address back (7 days, until the next change).
 */
export function emailChangedMessage(input: {
  name?: string;
  newEmail: string;
  undoLink: string;
}): MailMessage {
  return compose({
    subject: `Your ${brand.name} email address was changed`,
    greeting: hello(input.name),
    paragraphs: [
      `The email address of your ${brand.name} account was changed to ${input.newEmail}. From now on, sign in with that address.`,
      // A reset asked from this address finds nobody now: the link below is the way back.
      `If you did not do this, someone who knew your password has taken your account, and a password reset from this address will no longer reach it. Use the link below: this address becomes your account's address again, with a new password you choose, and everyone signed in to your account is signed out everywhere.`,
    ],
    action: { label: "This wasn't me — keep my old address", url: input.undoLink },
    footnote: `The link works once, for ${lifetime("restore_email")}, and only until the address is changed again. You receive this at your old address so that a change you did not make does not go unnoticed.`,
  });
}
