import { defineConfig } from "@playwright/test";

/**
 * Browser tests of the login & consent app against a production build
 * (`npm run build` first), on Debian's Chromium (`/usr/bin/chromium`,
 * or CHROMIUM_PATH). The global setup starts one real Portico server with the demo
 * relying party on a fresh SQLite database; each test makes its own user.
 */
export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  // One retry on CI, reported as "flaky" in the summary rather than hidden: a browser test that
  // needed it is a defect to look at, but not one that should stop a whole submission.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"], ["junit", { outputFile: "test-results/e2e-junit.xml" }]] : "list",
  use: {
    browserName: "chromium",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
