import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * What the public port answers on the API's paths (server/app.ts isApiPath:
 * the 2017 API, `/oauth2/…`, `/.well-known/…` with discovery and the JWKS,
 * `/userinfo`, `/admin/…`) when the login & consent app runs alone against
 * another server (Config.appAlone): a plain 404 naming that server, never a
 * second authorization server. `GET /health` still says the process is up,
 * for the probes of a load balancer or an orchestrator.
 */
export function appAloneAnswer(
  against: string,
): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const notHere = `Not found. This Portico runs only the login & consent app; its authorization server is ${against}.\n`;
  return (req, res, path) => {
    if (path === "/health" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status: "ok" }));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : notHere);
  };
}
