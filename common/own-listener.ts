import type { AddressInfo } from "node:net";

/**
 * Where the embedded server listens, as the login & consent app in the same
 * process reaches it. The server (server/serve.ts) sets it once its public
 * listener is bound, in each process that serves (every cluster worker, or
 * the one process with WORKERS=1); the app (lib/config/env.ts) then calls the
 * API there instead of at ISSUER, which behind a reverse proxy the server's
 * own network often cannot reach (split DNS, container networks, a load
 * balancer without hairpin). It is a value in this process's memory, not an
 * environment variable: no other process — the operators' CLI, the setup
 * child, a script — sees it, and those keep calling ISSUER. The key is a
 * global symbol because the server and the pages are separate bundles
 * (dist/server, dist/app, Next.js's), each with its own copy of this module.
 */
const OWN_LISTENER = Symbol.for("portico.ownListener");

const holder = globalThis as typeof globalThis & { [OWN_LISTENER]?: string };

/**
 * The base URL of a listener as this process calls it: plain HTTP (Portico
 * never speaks TLS itself; a proxy in front does), the address it is bound
 * to, or the loopback interface when it listens on every interface
 * (`0.0.0.0`, `::`: Node binds `::` dual-stack, so 127.0.0.1 reaches it
 * too). Undefined for an address a URL cannot hold (an IPv6 address with a
 * zone, `fe80::1%eth0`).
 */
export function listenerUrl(address: Pick<AddressInfo, "address" | "port">): string | undefined {
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  if (host.includes("%")) return undefined;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

/** Called by the server once its public listener is bound (or with undefined, to forget it). */
export function setOwnListener(url: string | undefined): void {
  if (url === undefined) delete holder[OWN_LISTENER];
  else holder[OWN_LISTENER] = url;
}

/** The embedded server's listener in this process, or undefined in any process that does not serve. */
export function ownListener(): string | undefined {
  return holder[OWN_LISTENER];
}
