import type { NextRequest } from "next/server";
import NextAuth from "next-auth";
import { demoAuthOptions, PROVIDER_ID } from "@/app/(demo)/_lib/auth.ts";
import { appConfig } from "@/lib/config/index.ts";

interface Context {
  params: Promise<{ nextauth: string[] }>;
}

/** RFC 6749 §4.1.2.1 error codes are `%x20-21 / %x23-5B / %x5D-7E`; the demo shows only plain ones. */
const ERROR_CODE = /^[a-z_]{1,64}$/;

/**
 * The demo relying party's next-auth endpoints (only with PORTICO_DEMO=1).
 * An authorization error coming back to the callback (the person pressed
 * Deny: `error=access_denied`) goes to the demo page as it is; next-auth v4
 * would report every such error as "Callback".
 */
async function handler(request: NextRequest, context: Context): Promise<Response> {
  const { demo, issuer } = appConfig();
  if (!demo) return new Response("Not found", { status: 404 });
  const { nextauth } = await context.params;
  const error = request.nextUrl.searchParams.get("error");
  if (request.method === "GET" && nextauth.join("/") === `callback/${PROVIDER_ID}` && error !== null) {
    const target = new URL("/", issuer);
    target.searchParams.set("error", ERROR_CODE.test(error) ? error : "server_error");
    return Response.redirect(target, 302);
  }
  return NextAuth(request, context, demoAuthOptions());
}

export { handler as GET, handler as POST };
