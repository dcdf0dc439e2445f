const TIMESTAMPS = new Set(["exp", "iat", "auth_time", "nbf", "updated_at"]);

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Claims as a two-column table; Unix timestamps also as UTC dates. */
export function ClaimsTable({ label, claims }: { label: string; claims: Record<string, unknown> }) {
  const rows = Object.entries(claims).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="mt-4 overflow-x-auto rounded-lg ring-1 ring-slate-200 dark:ring-slate-700">
      <table className="w-full text-left text-sm" aria-label={label}>
        <thead className="bg-slate-50 text-xs tracking-wide text-slate-600 uppercase dark:bg-slate-800/60 dark:text-slate-400">
          <tr>
            <th scope="col" className="px-4 py-2 font-medium">
              Claim
            </th>
            <th scope="col" className="px-4 py-2 font-medium">
              Value
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-700">
          {rows.map(([name, value]) => (
            <tr key={name}>
              <th scope="row" className="px-4 py-2 align-top font-mono text-xs font-medium whitespace-nowrap">
                {name}
              </th>
              <td className="px-4 py-2 font-mono text-xs break-all">
                {show(value)}
                {TIMESTAMPS.has(name) && typeof value === "number" && (
                  <span className="ml-2 font-sans text-slate-500 dark:text-slate-400">
                    {new Date(value * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
