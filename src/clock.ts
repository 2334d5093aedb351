// The time stamps in container records (Created, StartedAt, FinishedAt), as the RFC 3339 UTC
// strings Docker stores: "2026-11-29T11:40:34.123Z". Written out here from Date.now() with the
// days-to-civil-date formula (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"), because
// the first use of a Date's fields, even toISOString() or getUTCFullYear(), makes V8 set up its
// date cache and ICU's time zone: about 5 ms of every `tsdocker run` here. Date.now() does not.

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Date.prototype.toISOString for a time from 1970 on, without a Date object. */
export function isoTime(ms: number = Date.now()): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // Days since 0000-03-01 in 400-year eras of 146097 days; March first puts February's leap day last.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524)
    - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor(inDay / 60_000) % 60;
  const s = Math.floor(inDay / 1000) % 60;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(m)}:${pad(s)}.${pad(inDay % 1000, 3)}Z`;
}
