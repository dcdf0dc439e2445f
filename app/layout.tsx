import "./globals.css";
import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { RouteAnnouncer } from "@/components/route-announcer.tsx";
import { brand, brandStylesheet } from "@/lib/brand/brand.ts";

export const metadata: Metadata = {
  title: { default: brand.name, template: `%s · ${brand.name}` },
  robots: { index: false, follow: false },
  icons: { icon: brand.logo.src },
};

export const viewport: Viewport = {
  colorScheme: "light dark",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The pages' front (lib/front.ts) puts a fresh nonce in the request's CSP; the brand colours are inline, so they carry it.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    <html lang="en">
      <head>
        <style nonce={nonce}>{brandStylesheet()}</style>
      </head>
      <body>
        {children}
        <RouteAnnouncer />
      </body>
    </html>
  );
}
