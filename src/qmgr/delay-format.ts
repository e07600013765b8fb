// Postfix's delay notation in delivery log lines: "delay=0.12, delays=0.05/0.01/0/0.06".
// Two significant digits below 10 seconds, at most delay_logging_resolution_limit digits after
// the point, whole seconds from 10 up, and "0" for what rounds to nothing.
export function formatDelay(seconds: number, resolutionLimit = 2): string {
  if (seconds >= 10) return String(Math.round(seconds));
  if (seconds <= 0) return '0';
  const digits = Math.min(resolutionLimit, Math.max(0, 1 - Math.floor(Math.log10(seconds))));
  const text = seconds.toFixed(digits);
  return Number(text) === 0 ? '0' : text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export interface DelayParts {
  arrival: Date;
  /** Entered the active queue. */
  active: Date;
  /** Delivery agent started. */
  start: Date;
  /** Connection set up (equals start for local delivery). */
  connected: Date;
  done: Date;
}

/** "delay=..., delays=a/b/c/d": before qmgr, in qmgr, connection setup, transmission. */
export function delayFields(p: DelayParts, limit = 2): string {
  const s = (a: Date, b: Date): number => Math.max(0, (b.getTime() - a.getTime()) / 1000);
  const parts = [
    s(p.arrival, p.active),
    s(p.active, p.start),
    s(p.start, p.connected),
    s(p.connected, p.done),
  ];
  return `delay=${formatDelay(s(p.arrival, p.done), limit)}, delays=${parts.map((x) => formatDelay(x, limit)).join('/')}`;
}
