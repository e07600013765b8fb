// Outpost's mail_version: "3.7-outpost-<package version>" (one word, so that
// tools that parse "postconf -h mail_version" keep working).
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  // dist/src/config/version.js and src/config/version.ts are both three levels below the root.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'outpost' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const OUTPOST_VERSION = packageVersion();
export const MAIL_VERSION = `3.7-outpost-${OUTPOST_VERSION}`;
