import type { NextRequest } from "next/server";
import { consentStep } from "@/lib/consent/step.ts";

export const dynamic = "force-dynamic";

/**
 * GET /consent under `next dev`. The production server answers it before
 * Next.js with the same handler (lib/routes.ts): see lib/consent/step.ts.
 */
export function GET(request: NextRequest): Promise<Response> {
  return consentStep(request);
}
