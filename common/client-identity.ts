/** fosite's IsLocalhost: a loopback address, `localhost` or a name under `.localhost`. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Whether a redirect URI proves which client it is: https, or http on a
 * loopback host. A custom scheme (com.example.app:/cb) proves nothing, as
 * any app on the device may claim it (RFC 6749 §10.2, RFC 8252 §8.6).
 * The server (server/flow/client-identity.ts) and the consent app
 * (lib/consent/steps.ts) ask the same.
 */
export function provesClientIdentity(redirectUri: string | undefined): boolean {
  if (!redirectUri || !URL.canParse(redirectUri)) return false;
  const { protocol, hostname } = new URL(redirectUri);
  return protocol === "https:" || (protocol === "http:" && isLoopbackHost(hostname));
}
