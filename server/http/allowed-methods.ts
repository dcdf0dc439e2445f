import type { Hono } from "hono";

/**
 * The methods each of a router's paths answers, for a request whose path
 * exists but whose method does not: RFC 9110 §15.5.6's 405 with `Allow`, as
 * Hydra's router answered, instead of a 404 that says the path is unknown.
 * Built once, after every route is declared; middleware (`use`, method ALL)
 * is no route of its own.
 */
export function allowedMethods(api: Hono): (path: string) => string[] {
  const byPattern = new Map<string, Set<string>>();
  for (const route of api.routes) {
    if (route.method === "ALL") continue;
    const methods = byPattern.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    // Hono answers HEAD with the GET route.
    if (route.method === "GET") methods.add("HEAD");
    byPattern.set(route.path, methods);
  }
  const patterns = [...byPattern].map(([path, methods]) => ({ match: pathPattern(path), methods }));
  return (path) => {
    const allowed = new Set<string>();
    for (const { match, methods } of patterns) if (match.test(path)) for (const m of methods) allowed.add(m);
    return [...allowed].sort();
  };
}

/** A route path (`/clients/:id`, `/keys/:set/:kid`) as a regular expression over a request's path. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) =>
      segment.startsWith(":")
        ? "[^/]+"
        : segment === "*"
          ? ".*"
          : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}
