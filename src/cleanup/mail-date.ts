// RFC 5322 Date: value in Postfix's mail_date() layout: local time, day of month padded with a
// space (strftime %e), numeric UTC offset, then the zone name in parentheses:
//   "Fri, 27 Nov 2026 11:33:43 +0000 (UTC)"   "Sat,  7 Nov 2026 09:05:01 +0100 (CET)"
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let zoneFormat: Intl.DateTimeFormat | undefined;

function zoneName(d: Date): string {
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const part = zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

export function mailDate(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return (
    `${DAYS[d.getDay()]}, ${String(d.getDate()).padStart(2, ' ')} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)} ` +
    `(${zoneName(d)})`
  );
}

/** "Fri Nov 27 11:46:00 2026": C asctime() without the newline (mbox "From " lines). */
export function asctime(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const hms = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms} ${d.getFullYear()}`;
}
