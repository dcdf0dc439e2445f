/** @type {import("next").NextConfig} */
const config = {
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  // No page uses next/image. Left on, its optimizer (`/_next/image?url=/login&w=64&q=75`) let anyone
  // make a worker render a page for it, refuse it as no image and write an error line, every request.
  // Off, the path is the 404 of any unknown path.
  images: { unoptimized: true },
  experimental: {
    // Load a route's code when it is first requested, not every route's at start: a worker that
    // never serves the account pages, the demo or NextAuth then never holds their modules
    // (measured: 7-9 MB of heap less per idle worker). The first request to a route pays for it.
    preloadEntriesOnStart: false,
  },
};

export default config;
