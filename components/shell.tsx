import type { ReactNode } from "react";
import { brand } from "@/lib/brand/brand.ts";

/**
 * The frame of the sign-in pages: the brand above a centred column, quiet
 * links below. Narrow screens get the full width; wide ones a card.
 */
export function Shell({
  children,
  footer,
  width = "narrow",
}: {
  children: ReactNode;
  footer?: ReactNode;
  width?: "narrow" | "wide";
}) {
  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow dark:focus:bg-slate-900"
      >
        Skip to content
      </a>
      <header className="px-4 pt-10 pb-6 sm:pt-16">
        <a href="/" className="mx-auto flex w-fit items-center gap-3 rounded-lg">
          {/* biome-ignore lint/performance/noImgElement: a static SVG from public/, nothing to optimise */}
          <img src={brand.logo.src} alt="" width={40} height={40} className="size-10" />
          <span className="text-lg font-semibold tracking-tight">{brand.name}</span>
        </a>
      </header>
      <main
        id="main"
        className={`mx-auto w-full flex-1 px-4 pb-12 ${width === "wide" ? "max-w-2xl" : "max-w-md"}`}
      >
        {children}
      </main>
      <footer className="px-4 pb-8 text-center text-xs text-slate-500 dark:text-slate-400">
        {footer ?? <span>Secured by {brand.name}</span>}
      </footer>
    </div>
  );
}
