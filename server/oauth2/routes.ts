import type { Hono } from "hono";
import { corsPreflight, publicCors } from "@/server/http/cors.ts";
import type { Services } from "@/server/services.ts";
import { authorize } from "./authorize/endpoint.ts";
import { introspect } from "./introspection.ts";
import { revoke } from "./revocation.ts";
import { token } from "./token.ts";
import { userinfo, userinfoPreflight } from "./userinfo.ts";

export function oauth2Routes(api: Hono, services: Services) {
  // public · RFC 6749 §4, OpenID Connect Core §3 · errors to the client or, unverified, an HTML page
  api.get("/oauth2/auth", (c) => authorize(c, services));
  // OpenID Connect Core §3.1.2.1: POST with a form body, checked and answered exactly like GET
  api.post("/oauth2/auth", (c) => authorize(c, services));

  // client_secret_basic | client_secret_post | none (public clients) · RFC 6749 §3.2 · CORS from any origin
  api.use("/oauth2/token", publicCors);
  api.post("/oauth2/token", (c) => token(c, services));
  api.options("/oauth2/token", () => corsPreflight("POST"));

  // client_secret_basic · RFC 7662
  api.post("/oauth2/introspect", (c) => introspect(c, services));

  // client_secret_basic | none (public clients) · RFC 7009 · CORS from any origin
  api.use("/oauth2/revoke", publicCors);
  api.post("/oauth2/revoke", (c) => revoke(c, services));
  api.options("/oauth2/revoke", () => corsPreflight("POST"));

  // Bearer access token granted openid · OpenID Connect Core §5.3 · CORS from any origin
  api.get("/userinfo", (c) => userinfo(c, services));
  api.post("/userinfo", (c) => userinfo(c, services));
  api.options("/userinfo", () => userinfoPreflight());
}
