/**
 * Where the sign-in step of a consent request leads. With `prompt=create`
 * (OpenID Connect Prompt Create 1.0) and nobody signed in, the app asked for
 * the sign-up page: it keeps the consent request, and after sign-up the person
 * signs in and the request goes on. With sign-up closed, or someone signed
 * in already (they have an account), it is the sign-in page as usual.
 */
export function signInPage(input: {
  consent: string;
  prompt: readonly string[];
  signedIn: boolean;
  signupOpen: boolean;
}): string {
  const query = `consent=${encodeURIComponent(input.consent)}`;
  if (input.prompt.includes("create") && !input.signedIn && input.signupOpen) return `/signup?${query}`;
  return `/login?${query}`;
}
