import { Notice } from "@/components/action-form.tsx";
import { Card } from "@/components/ui.tsx";
import { describeDevice } from "@/lib/accounts/device.ts";
import { listSessions } from "@/lib/session/index.ts";
import type { AccountContext } from "./context.ts";
import { dateFormat } from "./format.ts";
import { EndOtherSessionsForm, EndSessionForm } from "./session-forms.tsx";

const NOTICES: Record<string, string> = {
  session: "That session was ended: the browser is signed out.",
  sessions: "Every other session was ended.",
};

/** Where the person is signed in: browser and system, address, when; the current one marked. */
export async function SessionsSection({ account: { user, session, done } }: { account: AccountContext }) {
  const all = await listSessions(user.id);
  const notice = done ? NOTICES[done] : undefined;
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Where you are signed in</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        End a session you do not recognise; that browser is signed out at once.
      </p>
      {notice && (
        <div className="mt-4">
          <Notice>{notice}</Notice>
        </div>
      )}
      <ul className="mt-4 divide-y divide-slate-200 dark:divide-slate-700" aria-label="Sessions">
        {all.map((entry, index) => {
          const device = describeDevice(entry.userAgent);
          const current = entry.sid === user.sid;
          return (
            <li key={entry.sid} className="flex flex-col gap-3 py-4 sm:flex-row sm:items-center">
              <div className="min-w-0 flex-1 text-sm">
                <p className="font-medium">
                  {device}
                  {/* A space, not only a margin: read out, the two ran together ("Chrome on LinuxThis browser"). */}
                  {current && (
                    <>
                      {" "}
                      <span className="ml-1 rounded bg-brand-tint px-1.5 py-0.5 text-xs font-semibold">
                        This browser
                      </span>
                    </>
                  )}
                </p>
                <p id={`session-${index}-details`} className="text-slate-600 dark:text-slate-400">
                  {entry.ipAddress || "Unknown address"} · signed in {dateFormat.format(entry.authTime)} UTC ·
                  last active {dateFormat.format(entry.lastSeenAt)} UTC
                </p>
              </div>
              {!current && (
                <EndSessionForm
                  csrf={session.csrf}
                  sid={entry.sid}
                  device={device}
                  details={`session-${index}-details`}
                />
              )}
            </li>
          );
        })}
      </ul>
      {all.length > 1 && (
        <div className="mt-4">
          <EndOtherSessionsForm csrf={session.csrf} />
        </div>
      )}
    </Card>
  );
}
