import { BodyTooLarge, EncodedBody, readBodyText } from "@/server/http/body.ts";
import { InvalidRequest, OAuthError } from "@/server/oauth2/errors.ts";
import { refuseNul } from "@/server/oauth2/form.ts";

/**
 * The parameters /oauth2/auth adds when the browser returns from the consent
 * app (2017: consent, consent_verifier; Hydra 2.x: login_verifier, consent_verifier).
 */
const CONSENT_PARAMETERS = ["consent", "consent_verifier", "login_verifier"];

/**
 * The query of an authorization request. RFC 6749 §3.1: a parameter without
 * a value counts as omitted, and none may be sent twice (`repeated` records
 * which were, for the check that refuses them).
 */
export class AuthorizationParameters {
  readonly repeated = new Set<string>();
  private readonly values = new Map<string, string>();

  constructor(readonly pairs: [string, string][]) {
    for (const [name, value] of pairs) {
      if (value === "") continue;
      if (this.values.has(name)) this.repeated.add(name);
      else this.values.set(name, value);
    }
  }

  /**
   * OpenID Connect Core §3.1.2.1: GET carries the parameters in the query,
   * POST in an application/x-www-form-urlencoded body (the query of a POST
   * is not read, so the two can never disagree). A parameter holding U+0000
   * is refused, as at the token endpoint.
   */
  static async fromRequest(request: Request): Promise<AuthorizationParameters> {
    const pairs = [...new URLSearchParams(await AuthorizationParameters.sent(request))];
    refuseNul(pairs);
    return new AuthorizationParameters(pairs);
  }

  /** The query of a GET, the body of a POST; a body over 1 MiB is refused with 413. */
  private static async sent(request: Request): Promise<string> {
    if (request.method !== "POST") return new URL(request.url).search;
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      throw new InvalidRequest("A POST authorization request must be application/x-www-form-urlencoded");
    }
    try {
      return await readBodyText(request);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        throw new OAuthError("invalid_request", "The request is too large", 413);
      if (error instanceof EncodedBody) throw new InvalidRequest(error.message);
      throw new InvalidRequest("The request body could not be read");
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The value when sent once; undefined when absent or sent twice. */
  single(name: string): string | undefined {
    return this.repeated.has(name) ? undefined : this.values.get(name);
  }

  /** The client's own request: everything but the consent round trip's parameters. */
  original(): [string, string][] {
    return this.pairs.filter(([name]) => !CONSENT_PARAMETERS.includes(name));
  }
}
