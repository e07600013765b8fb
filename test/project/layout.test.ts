// Checks the project's own promises: every command named in package.json's "bin" exists,
// is executable, and every bin/ file is named in package.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('package.json bin entries match bin/ and are executable', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const listed = Object.values(pkg.bin)
    .map((p) => p.replace(/^bin\//, ''))
    .sort();
  const present = readdirSync(join(root, 'bin'))
    .filter((n) => !n.startsWith('.'))
    .sort();
  assert.deepEqual(present, listed);
  for (const name of present) {
    assert.ok(statSync(join(root, 'bin', name)).mode & 0o111, `bin/${name} is not executable`);
  }
});
