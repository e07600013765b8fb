// postmap's writing operations: build from source files, -i (add from stdin) and -d (delete).
// Every one of them writes a complete new file and renames it into place.
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { modeFromSource, TableBuilder, type BuildOptions } from '../maps/compiled-build.js';
import { CompiledTable, type CompiledFormat } from '../maps/compiled-table.js';
import { formats as hashFormats } from '../maps/hash.js';
import { format as cdbFormat } from '../maps/cdb.js';
import { format as lmdbFormat } from '../maps/lmdb.js';
import { buildPlainLmdb, PlainParser, type PlainBuildOptions, type PlainEntries } from '../maps/lmdb-bulk.js';
import { buildPlainCdb } from '../maps/cdb-bulk.js';
import { writeFileAtomic } from '../maps/atomic-file.js';
import { DRIVER_MODULES } from '../maps/registry.js';
import { parseAliasSource } from '../maps/alias-source.js';
import { parseSource, readWithSpare } from '../maps/source.js';
import { strerror } from '../maps/strerror.js';
import { TableError } from '../maps/types.js';
import { forEachStdinLine, openOptions, splitMap, warn, type Context } from './postmap-context.js';
import { Fatal } from './postmap-options.js';

/** Types Postfix knows but cannot build (postconf -m), for its "bulk-mode creation" message. */
export const NOT_BUILDABLE = new Set([
  ...Object.keys(DRIVER_MODULES),
  'environ',
  'internal',
  'memcache',
  'nis',
  'proxy',
  'randmap',
  'socketmap',
  'tcp',
  'unix',
  'ldap',
]);

export const BUILDABLE: Record<string, CompiledFormat> = { ...hashFormats, cdb: cdbFormat, lmdb: lmdbFormat };

/** The compiled format for a build/update, or Postfix's fatal for types it cannot build. */
export function buildFormat(type: string): CompiledFormat {
  if (type === 'proxy') throw new Fatal("can't create maps via the proxy service");
  const f = BUILDABLE[type];
  if (f !== undefined) return f;
  if (NOT_BUILDABLE.has(type))
    throw new Fatal(`unsupported dictionary type: ${type} does not support bulk-mode creation.`);
  throw new Fatal(`unsupported dictionary type: ${type}. Is the postfix-${type} package installed?`);
}

export function buildOptions(ctx: Context): BuildOptions {
  return {
    foldCase: ctx.flags.foldCase,
    utf8: ctx.utf8,
    duplicates: ctx.flags.duplicates,
    warn,
    ...(ctx.flags.nul !== undefined ? { nulTerminated: ctx.flags.nul } : {}),
  };
}

/** Mode and owner of a rebuilt database, from the source file (postmap without -p / -o). */
export async function fileAttributes(
  ctx: Context,
  sourcePath: string,
  st: { uid: number; gid: number },
): Promise<BuildOptions> {
  const attrs: BuildOptions = { mode: ctx.flags.savePerm ? await modeFromSource(sourcePath) : 0o644 };
  const euid = process.geteuid?.() ?? -1;
  if (ctx.flags.asOwner && euid === 0 && (st.uid !== euid || st.gid !== (process.getegid?.() ?? -1))) {
    attrs.owner = { uid: st.uid, gid: st.gid };
  }
  return attrs;
}

export async function buildOne(ctx: Context, arg: string): Promise<void> {
  const { type, name } = splitMap(ctx, arg);
  if (type === 'proxy') throw new Fatal("can't create maps via the proxy service");
  let source: Buffer;
  let st;
  let plain: PlainParser | undefined;
  try {
    st = await stat(name);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    // lmdb and cdb from a plain source: parsed while the file is being read (lmdb-bulk.ts,
    // cdb-bulk.ts; cdb also wants the keys' hashes).
    const bulk = BUILDABLE[type] === lmdbFormat || BUILDABLE[type] === cdbFormat;
    plain =
      bulk && !ctx.aliases
        ? new PlainParser(ctx.flags.foldCase, ctx.utf8, BUILDABLE[type] === cdbFormat)
        : undefined;
    source = await readWithSpare(name, plain && ((buf, avail, last) => plain!.feed(buf, avail, last)));
  } catch (err) {
    throw new Fatal(`open ${name}: ${strerror(err)}`);
  }
  const format = buildFormat(type);
  const options = { ...buildOptions(ctx), ...(await fileAttributes(ctx, name, st)) };
  const entries = plain?.entries(source);
  if (entries !== undefined) return buildPlainSource(format, name, entries, options);
  if (ctx.aliases) {
    const builder = new TableBuilder(format, name, options);
    addFromSource(ctx, builder, source, name, source.length - 1);
    addAliasSignatures(ctx, builder, false);
    await writeTable(builder, options);
    return;
  }
  // postmap: duplicates are settled once after parsing (faster on big tables); warnings keep
  // Postfix's order through builder.warnLater.
  const builder = new TableBuilder(format, name, { ...options, deferDuplicates: true });
  parseSource(
    source,
    { displayName: name, utf8: ctx.utf8, style: 'postmap', warn: builder.warnLater },
    builder.handler(source),
    source.length - 1,
  );
  await writeTable(builder, options);
}

/** Adds the entries of a source (bytes [0, end) of buf): postmap's format or aliases(5). */
function addFromSource(
  ctx: Context,
  builder: TableBuilder,
  buf: Buffer,
  displayName: string,
  end: number,
): void {
  if (ctx.aliases) {
    const add = (name: Buffer, value: Buffer): void => builder.addBytes(name, value);
    parseAliasSource(buf, { displayName, utf8: ctx.utf8, warn }, add, end);
  } else {
    parseSource(buf, { displayName, utf8: ctx.utf8, style: 'postmap', warn }, builder.handler(buf), end);
  }
}

/**
 * postalias ends every build and update with Sendmail's "@" entry (the database is complete)
 * and the NIS entries YP_LAST_MODIFIED (seconds, ten digits) and YP_MASTER_NAME (myhostname).
 * The NIS entries are stored as written: no folding, no trailing NUL, whatever the table's
 * convention (as Postfix built with NIS support, Debian's, writes them).
 */
function addAliasSignatures(ctx: Context, builder: TableBuilder, update: boolean): void {
  builder.addLiteral('@', '@', builder.nulTerminated, update);
  const seconds = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
  builder.addLiteral('YP_LAST_MODIFIED', seconds, false, update);
  builder.addLiteral('YP_MASTER_NAME', ctx.myhostname, false, update);
}

export async function writeTable(builder: TableBuilder, options: BuildOptions): Promise<void> {
  try {
    await builder.write(options);
  } catch (err) {
    throw writeError(builder.format, builder.name, err);
  }
}

function writeError(format: CompiledFormat, name: string, err: unknown): Fatal {
  if (err instanceof RangeError) return new Fatal(`error updating ${format.type}:${name}: ${err.message}`);
  return new Fatal(`open database ${name}${format.suffix}: ${strerror(err)}`);
}

/**
 * `postmap lmdb:name` or `cdb:name` for a plain source (lmdb-bulk.ts, cdb-bulk.ts): the same
 * file, warnings and errors as the general path, in about half the time.
 */
function buildPlainSource(
  format: CompiledFormat,
  name: string,
  entries: PlainEntries,
  options: BuildOptions,
): void {
  const attrs = {
    mode: options.mode ?? 0o644,
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
  };
  const plain: PlainBuildOptions = {
    nul: options.nulTerminated ?? format.defaultNul,
    duplicates: options.duplicates ?? 'warn',
    duplicate: (key) => warn(format.duplicateWarning(name, key)),
    writeFile: (write) => writeFileAtomic(name + format.suffix, attrs, write),
  };
  try {
    if (format === cdbFormat) buildPlainCdb(entries, plain);
    else buildPlainLmdb(entries, plain);
  } catch (err) {
    throw writeError(format, name, err);
  }
}

/**
 * A builder holding the existing entries of a database, for -i / -d. A missing database is
 * empty for -i (Postfix creates it) and fatal for -d.
 */
export async function builderWithExisting(
  ctx: Context,
  format: CompiledFormat,
  name: string,
  mustExist: boolean,
): Promise<TableBuilder> {
  const builder = new TableBuilder(format, name, buildOptions(ctx));
  try {
    await stat(name + format.suffix);
  } catch (err) {
    if (mustExist) throw new Fatal(`open database ${name}${format.suffix}: ${strerror(err)}`);
    return builder;
  }
  try {
    const t = await CompiledTable.open(format, name, { ...openOptions(ctx), warn: () => undefined });
    builder.addExisting(t.rawEntries());
    await t.close();
  } catch (err) {
    if (err instanceof TableError) throw new Fatal(err.message);
    throw err;
  }
  return builder;
}

export function checkUpdatable(ctx: Context, type: string, name: string): CompiledFormat {
  const readOnly = ['inline', 'static', 'texthash', 'unionmap', 'pipemap', 'regexp', 'pcre', 'cidr'];
  if (readOnly.includes(type) && !ctx.flags.incremental) {
    throw new Fatal(`${type}:${name} map requires O_RDONLY access mode`);
  }
  const format = buildFormat(type);
  if (!format.canUpdate) {
    throw new Fatal(
      'dict_cdb_open: inappropriate open flags for cdb database - specify O_RDONLY or O_WRONLY|O_CREAT|O_TRUNC',
    );
  }
  return format;
}

/** The current mode of a database file, or 0644 for a new one. */
export async function currentMode(path: string): Promise<number> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return 0o644;
  }
}

export async function incremental(ctx: Context): Promise<void> {
  // Postfix reads stdin once, for the first table; later tables get an exhausted stdin.
  let input: Buffer | undefined = readFileSync(0);
  for (const arg of ctx.flags.args) {
    const { type, name } = splitMap(ctx, arg);
    const format = checkUpdatable(ctx, type, name);
    const builder = await builderWithExisting(ctx, format, name, false);
    if (input !== undefined) {
      const buf = Buffer.alloc(input.length + 1);
      input.copy(buf);
      addFromSource(ctx, builder, buf, 'stdin', input.length);
    }
    input = undefined;
    if (ctx.aliases) addAliasSignatures(ctx, builder, true);
    const mode = await currentMode(name + format.suffix);
    await writeTable(builder, { ...buildOptions(ctx), mode });
  }
}

export async function deleteKeys(ctx: Context, keys: string[] | 'stdin'): Promise<number> {
  const targets: { builder: TableBuilder; changed: boolean }[] = [];
  for (const arg of ctx.flags.args) {
    const { type, name } = splitMap(ctx, arg);
    const format = checkUpdatable(ctx, type, name);
    targets.push({ builder: await builderWithExisting(ctx, format, name, true), changed: false });
  }
  let found = false;
  const del = (key: string): void => {
    for (const t of targets) {
      if (t.builder.delete(key)) {
        t.changed = true;
        found = true;
      }
    }
  };
  if (keys === 'stdin') await forEachStdinLine(del);
  else keys.forEach(del);
  for (const t of targets) {
    if (!t.changed) continue;
    const b = t.builder;
    const mode = await currentMode(b.name + b.format.suffix);
    await writeTable(b, { ...buildOptions(ctx), mode });
  }
  return found ? 0 : 1;
}
