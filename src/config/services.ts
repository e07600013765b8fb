// TCP service names for master.cf inet entries: numeric ports, the names an MTA
// uses (smtp 25, submission 587, submissions/smtps 465), then /etc/services.
import { readFileSync } from 'node:fs';

const BUILTIN: Record<string, number> = { smtp: 25, submission: 587, submissions: 465, smtps: 465, lmtp: 24 };

let etcServices: Map<string, number> | undefined;

function loadEtcServices(): Map<string, number> {
  const map = new Map<string, number>();
  try {
    for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(words[1] ?? '');
      if (m === null) continue;
      for (const name of [words[0], ...words.slice(2)]) {
        if (name !== undefined && name !== '' && !map.has(name)) map.set(name, Number(m[1]));
      }
    }
  } catch {
    // No services database: only the built-in names resolve.
  }
  return map;
}

export function resolveServicePort(name: string): number | undefined {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n >= 0 && n <= 65535 ? n : undefined;
  }
  const builtin = BUILTIN[name];
  if (builtin !== undefined) return builtin;
  etcServices ??= loadEtcServices();
  return etcServices.get(name);
}
