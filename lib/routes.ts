import { consentStep } from "@/lib/consent/step.ts";

export { assetFront, needsFront, pageFront } from "@/lib/front.ts";

/**
 * The app's requests that render nothing, served by the production server
 * before Next.js (server/serve.ts): each only decides and redirects, and a
 * request through Next.js costs milliseconds of CPU before any of its code
 * runs. `npm run build` compiles this module to dist/app/routes.js beside
 * Next.js's own build (scripts/build-server.mjs). Each handler is a Web
 * `(Request) => Promise<Response>`, and Next.js serves the same handler as a
 * route handler too, so `next dev` behaves the same.
 */
export const routes: Record<string, { GET: (request: Request) => Promise<Response> }> = {
  "/consent": { GET: consentStep },
};
