import { ButtonLink } from "@/components/ui.tsx";
import type { WayBack } from "@/lib/consent/way-back.ts";

/**
 * "Back to <app>": the app's own address (client_uri, http(s) only: see wayBackTo), where a person
 * whose request was answered already (Back, a reload, another tab) expects to go. The app is
 * another site: nothing of this page goes with the person (no opener, no referrer).
 */
export function WayBackLink({ to }: { to: WayBack }) {
  return (
    <ButtonLink href={to.url} rel="noopener noreferrer" variant="primary">
      Back to {to.name}
    </ButtonLink>
  );
}
