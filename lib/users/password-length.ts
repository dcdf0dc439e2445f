/**
 * How long a new password may be, in characters of its NFKC form: the one place the bounds are
 * set. The server's checks (password-policy.ts, store.ts, the forms' schemas), the new-password
 * field's `minlength`/`maxlength` and its hint all read them; this module imports nothing, so the
 * browser's bundle can take it without zxcvbn.
 */
export const NEW_PASSWORD_MIN_LENGTH = 8;
export const NEW_PASSWORD_MAX_LENGTH = 128;
