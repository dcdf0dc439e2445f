/** @type {import("next").NextConfig} */
const config = {
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  experimental: {
    // Load a route's code when it is first requested, not every route's at start: a worker that
    // never serves the account pages, the demo or NextAuth then never holds their modules
    // (measured: 7-9 MB of heap less per idle worker). The first request to a route pays for it.
    preloadEntriesOnStart: false,
  },
};

export default config;
