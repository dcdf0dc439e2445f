/**
 * A lifetime in words for the pages and emails ("1 hour", "24 hours", "7 days", "10 minutes"), so
 * that a text that promises a lifetime is written from the constant that sets it: whole days from
 * two days on, else whole hours, whole minutes, or seconds.
 */
export function durationInWords(seconds: number): string {
  const unit = (count: number, name: string) => `${count} ${name}${count === 1 ? "" : "s"}`;
  if (seconds >= 2 * 86_400 && seconds % 86_400 === 0) return unit(seconds / 86_400, "day");
  if (seconds >= 3600 && seconds % 3600 === 0) return unit(seconds / 3600, "hour");
  if (seconds >= 60 && seconds % 60 === 0) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}
