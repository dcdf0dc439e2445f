import { existsSync } from "node:fs";
import { join } from "node:path";
import { startMailbox } from "@/tests/support/mailbox.ts";
import { startPortico } from "@/tests/support/server.ts";

/**
 * Starts Portico once for the whole run: the production build, the demo
 * relying party (PORTICO_DEMO=1), and TRUST_PROXY=1 so that each test can
 * pose as its own client address with X-Forwarded-For and never trip
 * another test's address throttling. Its mail goes to a real SMTP server
 * started here, which the specs read over HTTP (PORTICO_E2E_MAILBOX_URL);
 * each test mails its own unique addresses, so workers never read each
 * other's messages.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (
    !existsSync(join(process.cwd(), ".next", "BUILD_ID")) ||
    !existsSync(join(process.cwd(), "dist", "server", "main.js"))
  ) {
    throw new Error("The browser tests run against a production build: run `npm run build` first.");
  }
  const mailbox = await startMailbox();
  const portico = await startPortico({
    compiled: true,
    env: { PORTICO_DEMO: "1", TRUST_PROXY: "1", SMTP_URL: mailbox.smtpUrl },
  });
  // The same server in Hydra 2.x mode (e2e/hydra2.spec.ts): its flow sends browsers to its own pages
  // with Hydra 2.x challenges, and the app answers them through its admin listener.
  const hydraV2 = await startPortico({
    compiled: true,
    hydraV2: true,
    env: { PORTICO_DEMO: "1", TRUST_PROXY: "1", SMTP_URL: mailbox.smtpUrl },
  });
  process.env.PORTICO_E2E_V2_URL = hydraV2.url;
  process.env.PORTICO_E2E_V2_DATABASE_URL = hydraV2.databaseUrl;
  process.env.PORTICO_E2E_V2_ADMIN_URL = hydraV2.adminUrl;
  process.env.PORTICO_E2E_URL = portico.url;
  process.env.PORTICO_E2E_MAILBOX_URL = mailbox.httpUrl;
  // For specs that register clients of their own through the admin API.
  process.env.PORTICO_E2E_ROOT = `${portico.root.id}:${portico.root.secret}`;
  process.env.PORTICO_E2E_DATABASE_URL = portico.databaseUrl;
  return async () => {
    await portico.stop();
    await hydraV2.stop();
    await mailbox.stop();
    if (process.env.PORTICO_E2E_SHOW_LOG) process.stdout.write(portico.output() + hydraV2.output());
  };
}
