// "postconf -Me/-Fe/-Pe/-MX/-PX/-M#": master.cf editing.
import type { Reporter } from './io.js';

export function editMaster(_mode: number, _configDir: string, _args: string[], report: Reporter): void {
  report.fatal('master.cf editing (-Me, -Fe, -Pe, -MX, -PX, -M#) is not supported by Outpost');
}
