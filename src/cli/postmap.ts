// postmap(1): build, query, update and dump lookup tables, with Postfix 3.7's options, messages
// and exit codes. Builds replace the database atomically (temporary file, fsync, rename).
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { modeFromSource, TableBuilder, type BuildOptions } from '../maps/compiled-build.js';
import { CompiledTable, type CompiledFormat } from '../maps/compiled-table.js';
import { formats as hashFormats } from '../maps/hash.js';
import { format as cdbFormat } from '../maps/cdb.js';
import { format as lmdbFormat } from '../maps/lmdb.js';
import { DRIVER_MODULES, openTable } from '../maps/registry.js';
import { parseSource, readWithSpare } from '../maps/source.js';
import { strerror } from '../maps/strerror.js';
import { TableError, type LookupTable, type OpenOptions } from '../maps/types.js';
import { ConfigError, readPostmapConfig } from './postmap-config.js';

const PROG = 'postmap';
const USAGE = `usage: ${PROG} [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...`;
const OPTSTRING = 'bc:d:fFhimnNopq:rsuUvw';

/** Types Postfix knows but cannot build (postconf -m), for its "bulk-mode creation" message. */
const NOT_BUILDABLE = new Set([
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
const BUILDABLE: Record<string, CompiledFormat> = { ...hashFormats, cdb: cdbFormat, lmdb: lmdbFormat };

class Fatal extends Error {}

interface Flags {
  query?: string;
  deleteKey?: string;
  sequence: boolean;
  incremental: boolean;
  foldCase: boolean;
  nul?: boolean;
  duplicates: 'warn' | 'ignore' | 'replace';
  asOwner: boolean;
  savePerm: boolean;
  configDir?: string;
  headerBodyMime: boolean;
  fileValues: boolean;
  args: string[];
}

/** Writes to stdout in large chunks (bulk queries print hundreds of thousands of lines). */
class Output {
  private parts: string[] = [];
  private bytes = 0;
  line(s: string): void {
    this.parts.push(s);
    this.bytes += s.length;
    if (this.bytes >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.bytes = 0;
  }
}

/**
 * Postfix's logging replaces control characters and invalid UTF-8 in messages with '?'
 * (printable()); table data on stdout is printed as is.
 */
function printable(message: string): string {
  return message.replace(/[\x00-\x1f\x7f\uFFFD]/g, '?');
}

function warn(message: string): void {
  process.stderr.write(`${PROG}: warning: ${printable(message)}\n`);
}

/** GNU getopt with argument permutation, as Postfix's GETOPT on Linux. */
function getopt(argv: string[]): { opts: [string, string | undefined][]; args: string[] } {
  const opts: [string, string | undefined][] = [];
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const at = OPTSTRING.indexOf(c);
      if (at < 0 || c === ':') {
        process.stderr.write(`${PROG}: invalid option -- '${c}'\n`);
        throw new Fatal(USAGE);
      }
      if (OPTSTRING[at + 1] === ':') {
        let value = a.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) {
            process.stderr.write(`${PROG}: option requires an argument -- '${c}'\n`);
            throw new Fatal(USAGE);
          }
          value = argv[++i]!;
        }
        opts.push([c, value]);
        break;
      }
      opts.push([c, undefined]);
    }
  }
  return { opts, args };
}

function parseFlags(argv: string[]): Flags {
  const { opts, args } = getopt(argv);
  const f: Flags = {
    sequence: false,
    incremental: false,
    foldCase: true,
    duplicates: 'warn',
    asOwner: true,
    savePerm: true,
    headerBodyMime: false,
    fileValues: false,
    args,
  };
  for (const [c, v] of opts) {
    switch (c) {
      case 'N':
        f.nul = true;
        break;
      case 'n':
        f.nul = false;
        break;
      case 'c':
        f.configDir = v;
        break;
      case 'd':
        if (f.sequence || f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s -q or -d');
        f.deleteKey = v;
        break;
      case 'q':
        if (f.sequence || f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s -q or -d');
        f.query = v;
        break;
      case 's':
        if (f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s or -q or -d');
        f.sequence = true;
        break;
      case 'f':
        f.foldCase = false;
        break;
      case 'i':
        f.incremental = true;
        break;
      case 'o':
        f.asOwner = false;
        break;
      case 'p':
        f.savePerm = false;
        break;
      case 'r':
        f.duplicates = 'replace';
        break;
      case 'w':
        f.duplicates = 'ignore';
        break;
      case 'b':
      case 'h':
      case 'm':
        f.headerBodyMime = true;
        break;
      case 'F':
        f.fileValues = true;
        break;
      // -u, -U (UTF-8 request overrides) and -v (verbose) are accepted and ignored.
    }
  }
  return f;
}

interface Context {
  flags: Flags;
  defaultType: string;
  utf8: boolean;
  out: Output;
}

function splitMap(ctx: Context, arg: string): { type: string; name: string } {
  const colon = arg.indexOf(':');
  return colon < 0
    ? { type: ctx.defaultType, name: arg }
    : { type: arg.slice(0, colon), name: arg.slice(colon + 1) };
}

function openOptions(ctx: Context): OpenOptions {
  return {
    foldCase: ctx.flags.foldCase,
    utf8: ctx.utf8,
    warn,
    duplicates: ctx.flags.duplicates,
    ...(ctx.flags.nul !== undefined ? { nulTerminated: ctx.flags.nul } : {}),
  };
}

async function openForQuery(ctx: Context, arg: string): Promise<LookupTable> {
  const { type, name } = splitMap(ctx, arg);
  if (type === '' || name === '') {
    throw new Fatal(`open dictionary: expecting "type:name" form instead of "${type}:${name}"`);
  }
  try {
    return await openTable(`${type}:${name}`, openOptions(ctx));
  } catch (err) {
    if (err instanceof TableError) {
      // The registry adds why a driver is missing; postmap says what Postfix says.
      throw new Fatal(err.message.replace(/^(unsupported dictionary type: \S+) \(.*\)$/, '$1'));
    }
    throw err;
  }
}

type SyncLookup = { lookupSync?: (key: string) => string | undefined };

async function lookupOne(t: LookupTable, key: string): Promise<string | undefined> {
  try {
    const s = t as LookupTable & SyncLookup;
    return s.lookupSync !== undefined ? s.lookupSync(key) : await t.lookup(key);
  } catch (err) {
    if (err instanceof TableError) throw new Fatal(`table ${err.table}: query error: ${err.message}`);
    throw err;
  }
}

function emptyValueWarning(spec: string, key: string): void {
  warn(`table ${spec}: key ${key}: empty string result is not allowed`);
  warn(`table ${spec} should return NO RESULT in case of NOT FOUND`);
}

async function querySingle(ctx: Context, key: string): Promise<number> {
  for (const arg of ctx.flags.args) {
    const t = await openForQuery(ctx, arg);
    const value = await lookupOne(t, key);
    await t.close();
    if (value !== undefined) {
      if (value === '') emptyValueWarning(`${t.type}:${t.name}`, key);
      ctx.out.line(`${value}\n`);
      return 0;
    }
  }
  return 1;
}

/**
 * Calls fn for each stdin line (without its newline), streaming. Lines are split on bytes, so
 * a UTF-8 character cut by a chunk boundary is decoded whole.
 */
async function forEachStdinLine(fn: (line: string) => Promise<void> | void): Promise<void> {
  let carry: Buffer | undefined;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    let pos = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, pos)) {
      const r = fn(buf.toString('utf8', pos, nl));
      if (r !== undefined) await r;
      pos = nl + 1;
    }
    carry = pos < buf.length ? buf.subarray(pos) : undefined;
  }
  if (carry !== undefined) {
    const r = fn(carry.toString('utf8'));
    if (r !== undefined) await r;
  }
}

async function queryBulk(ctx: Context): Promise<number> {
  const tables: (LookupTable | undefined)[] = ctx.flags.args.map(() => undefined);
  let found = false;
  const out = ctx.out;
  const hit = (t: LookupTable, key: string, value: string): void => {
    if (value === '') emptyValueWarning(`${t.type}:${t.name}`, key);
    out.line(`${key}\t${value}\n`);
    found = true;
  };
  // From table n on, for tables not opened yet (Postfix opens them when first needed) or
  // without a synchronous lookup.
  const resolveAsync = async (key: string, from: number): Promise<void> => {
    for (let n = from; n < tables.length; n++) {
      const t = (tables[n] ??= await openForQuery(ctx, ctx.flags.args[n]!));
      const value = await lookupOne(t, key);
      if (value !== undefined) return hit(t, key, value);
    }
  };
  // The common case stays synchronous: no promise per key.
  const resolve = (key: string): Promise<void> | undefined => {
    for (let n = 0; n < tables.length; n++) {
      const t = tables[n] as (LookupTable & SyncLookup) | undefined;
      if (t?.lookupSync === undefined) return resolveAsync(key, n);
      let value: string | undefined;
      try {
        value = t.lookupSync(key);
      } catch (err) {
        if (err instanceof TableError) throw new Fatal(`table ${err.table}: query error: ${err.message}`);
        throw err;
      }
      if (value !== undefined) {
        hit(t, key, value);
        return undefined;
      }
    }
    return undefined;
  };
  await forEachStdinLine(resolve);
  await Promise.all(tables.map((t) => t?.close()));
  return found ? 0 : 1;
}

async function sequence(ctx: Context): Promise<number> {
  const arg = ctx.flags.args[0];
  if (arg === undefined) return 1;
  const { type } = splitMap(ctx, arg);
  if (type === 'proxy') throw new Fatal("can't sequence maps via the proxy service");
  const t = (await openForQuery(ctx, arg)) as LookupTable & { entries?: () => Iterable<[string, string]> };
  const notSupported = (): Fatal => {
    // Postfix names a cdb table by its file name here.
    const name = t instanceof CompiledTable && t.type === 'cdb' ? t.dbPath : t.name;
    return new Fatal(`table ${t.type}:${name}: sequence operation is not supported`);
  };
  if (t.type === 'fail') throw new Fatal(`table fail:${t.name}: sequence error: Application error`);
  if (t.entries === undefined || (t instanceof CompiledTable && !t.format.canSequence)) throw notSupported();
  try {
    for (const [k, v] of t.entries()) {
      if (k === '') warn(`table ${t.type}:${t.name}: empty lookup key value is not allowed`);
      else if (v === '') emptyValueWarning(`${t.type}:${t.name}`, k);
      ctx.out.line(`${k}\t${v}\n`);
    }
  } catch (err) {
    if (err instanceof TableError)
      throw new Fatal(`table ${t.type}:${t.name}: sequence error: ${err.message}`);
    throw err;
  }
  await t.close();
  return 0;
}

/** The compiled format for a build/update, or Postfix's fatal for types it cannot build. */
function buildFormat(type: string): CompiledFormat {
  if (type === 'proxy') throw new Fatal("can't create maps via the proxy service");
  const f = BUILDABLE[type];
  if (f !== undefined) return f;
  if (NOT_BUILDABLE.has(type))
    throw new Fatal(`unsupported dictionary type: ${type} does not support bulk-mode creation.`);
  throw new Fatal(`unsupported dictionary type: ${type}. Is the postfix-${type} package installed?`);
}

function buildOptions(ctx: Context): BuildOptions {
  return {
    foldCase: ctx.flags.foldCase,
    utf8: ctx.utf8,
    duplicates: ctx.flags.duplicates,
    warn,
    ...(ctx.flags.nul !== undefined ? { nulTerminated: ctx.flags.nul } : {}),
  };
}

/** Mode and owner of a rebuilt database, from the source file (postmap without -p / -o). */
async function fileAttributes(
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

async function buildOne(ctx: Context, arg: string): Promise<void> {
  const { type, name } = splitMap(ctx, arg);
  if (type === 'proxy') throw new Fatal("can't create maps via the proxy service");
  let source: Buffer;
  let st;
  try {
    st = await stat(name);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    source = await readWithSpare(name);
  } catch (err) {
    throw new Fatal(`open ${name}: ${strerror(err)}`);
  }
  const format = buildFormat(type);
  const options = { ...buildOptions(ctx), ...(await fileAttributes(ctx, name, st)) };
  const builder = new TableBuilder(format, name, options);
  parseSource(
    source,
    { displayName: name, utf8: ctx.utf8, style: 'postmap', warn },
    builder.handler(source),
    source.length - 1,
  );
  await writeTable(builder, options);
}

async function writeTable(builder: TableBuilder, options: BuildOptions): Promise<void> {
  try {
    await builder.write(options);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new Fatal(`error updating ${builder.format.type}:${builder.name}: ${err.message}`);
    }
    throw new Fatal(`open database ${builder.name}${builder.format.suffix}: ${strerror(err)}`);
  }
}

/**
 * A builder holding the existing entries of a database, for -i / -d. A missing database is
 * empty for -i (Postfix creates it) and fatal for -d.
 */
async function builderWithExisting(
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

function checkUpdatable(ctx: Context, type: string, name: string): CompiledFormat {
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
async function currentMode(path: string): Promise<number> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return 0o644;
  }
}

async function incremental(ctx: Context): Promise<void> {
  // Postfix reads stdin once, for the first table; later tables get an exhausted stdin.
  let input: Buffer | undefined = readFileSync(0);
  for (const arg of ctx.flags.args) {
    const { type, name } = splitMap(ctx, arg);
    const format = checkUpdatable(ctx, type, name);
    const builder = await builderWithExisting(ctx, format, name, false);
    if (input !== undefined) {
      const buf = Buffer.alloc(input.length + 1);
      input.copy(buf);
      parseSource(
        buf,
        { displayName: 'stdin', utf8: ctx.utf8, style: 'postmap', warn },
        builder.handler(buf),
        input.length,
      );
    }
    input = undefined;
    const mode = await currentMode(name + format.suffix);
    await writeTable(builder, { ...buildOptions(ctx), mode });
  }
}

async function deleteKeys(ctx: Context, keys: string[] | 'stdin'): Promise<number> {
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

export async function main(argv: string[]): Promise<number> {
  const out = new Output();
  try {
    const flags = parseFlags(argv);
    let config;
    try {
      config = await readPostmapConfig(flags.configDir);
    } catch (err) {
      if (err instanceof ConfigError) throw new Fatal(err.message);
      throw err;
    }
    if (flags.headerBodyMime) {
      if (flags.query !== '-') throw new Fatal('specify -b -h or -m only with "-q -"');
      throw new Fatal('-b, -h and -m (message keys) are not supported by Outpost postmap');
    }
    if (flags.fileValues) throw new Fatal('-F (file content values) is not supported by Outpost postmap');
    const ctx: Context = { flags, defaultType: config.defaultDatabaseType, utf8: config.utf8, out };
    if (flags.args.length === 0) {
      if (flags.sequence) return 1;
      throw new Fatal(USAGE);
    }
    let rc = 0;
    if (flags.deleteKey !== undefined) {
      rc = await deleteKeys(ctx, flags.deleteKey === '-' ? 'stdin' : [flags.deleteKey]);
    } else if (flags.query !== undefined) {
      rc = flags.query === '-' ? await queryBulk(ctx) : await querySingle(ctx, flags.query);
    } else if (flags.sequence) {
      rc = await sequence(ctx);
    } else if (flags.incremental) {
      await incremental(ctx);
    } else {
      for (const arg of flags.args) await buildOne(ctx, arg);
    }
    out.flush();
    return rc;
  } catch (err) {
    out.flush();
    if (err instanceof Fatal) {
      process.stderr.write(`${PROG}: fatal: ${printable(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}

/** Entry point for bin/postmap. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}
