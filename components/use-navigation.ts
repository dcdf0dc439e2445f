"use client";

import { useEffect } from "react";
import type { FormState } from "@/lib/actions/state.ts";

/** Follows a server action's `navigate` answer with a full page load (see lib/actions/navigation.ts). */
export function useNavigation(state: FormState): void {
  useEffect(() => {
    if (state.status === "navigate") window.location.assign(state.url);
  }, [state]);
}
