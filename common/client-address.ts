import { isIPv6 } from "node:net";

/**
 * The request header through which server/main.ts hands the consent app the
 * TCP peer address of each request. main.ts overwrites whatever a client
 * sent under this name, so, unlike X-Forwarded-For (which Next.js passes on
 * as the client wrote it), its value cannot be forged.
 */
export const SOCKET_ADDRESS_HEADER = "x-portico-socket-address";

/**
 * The client's address for throttling. By default the TCP peer's (handed
 * over by server/main.ts), because X-Forwarded-For is whatever the client
 * wrote. Behind `trustedProxies` reverse proxies, each of which appends the
 * address it saw, the client is the entry that many places from the right of
 * the chain X-Forwarded-For + peer.
 */
export function clientAddress(headers: Headers, trustedProxies: number): string | undefined {
  const peer = headers.get(SOCKET_ADDRESS_HEADER) || undefined;
  if (trustedProxies === 0 || peer === undefined) return peer && normalizeAddress(peer);
  const forwarded = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  const client = chain[Math.max(chain.length - 1 - trustedProxies, 0)];
  return client && normalizeAddress(withoutPort(client));
}

/**
 * Some proxies (Azure's front ends, some load balancers) write the client's
 * source port too: `203.0.113.9:50001`, `[2001:db8::1]:443`. The port changes
 * with every connection, so the address alone is the client's.
 */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1] as string;
  const ipv4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return ipv4 ? (ipv4[1] as string) : entry;
}

/**
 * One spelling per address. IPv6 clients usually hold a whole /64, so they
 * are throttled by that prefix; IPv4-mapped IPv6 becomes plain IPv4.
 */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((group) =>
    group.toLowerCase().replace(/^0+(?=.)/, ""),
  );
}
