"use client";

import { useLayoutEffect } from "react";

/**
 * Next.js announces client-side page changes through a live region it
 * creates with role="alert". On these pages an alert means one thing, a
 * form's error (one message, in an element with role=alert),
 * so Next.js is handed the announcer it looks for first (an element named
 * `next-route-announcer` with an open shadow root) as an equally assertive
 * live region with role="status". Layout effects run before Next.js's own.
 */
export function RouteAnnouncer() {
  useLayoutEffect(() => {
    if (document.getElementsByName("next-route-announcer")[0]) return;
    const container = document.createElement("next-route-announcer");
    container.setAttribute("name", "next-route-announcer");
    container.style.cssText = "position:absolute";
    const region = document.createElement("div");
    region.id = "__next-route-announcer__";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "assertive");
    region.style.cssText =
      "position:absolute;border:0;height:1px;margin:-1px;padding:0;width:1px;clip:rect(0 0 0 0);overflow:hidden;white-space:nowrap";
    container.attachShadow({ mode: "open" }).appendChild(region);
    document.body.appendChild(container);
  }, []);
  return null;
}
