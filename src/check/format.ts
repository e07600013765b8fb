// Human-readable report: one line per finding, Postfix's "file, line N:" location style.
import { countBySeverity } from './index.js';
import type { Finding } from './types.js';

export function formatFinding(f: Finding): string {
  let where = '';
  if (f.file !== undefined) where = f.line === undefined ? `${f.file}: ` : `${f.file}, line ${f.line}: `;
  else if (f.parameter !== undefined) where = `${f.parameter} (default): `;
  return `${where}${f.severity}: [${f.rule}] ${f.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatReport(findings: readonly Finding[]): string {
  const n = countBySeverity(findings);
  const lines = findings.map(formatFinding);
  lines.push(
    findings.length === 0
      ? 'no problems found'
      : `${plural(n.error, 'error')}, ${plural(n.warning, 'warning')}, ${plural(n.notice, 'notice')}`,
  );
  return lines.join('\n') + '\n';
}
