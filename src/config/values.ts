// Conversions of expanded parameter values, with Postfix's error wording
// (mail_conf_bool.c, mail_conf_int.c, mail_conf_long.c, conv_time.c).
import { ConfigError } from './errors.js';

const INT_MAX = 2147483647;

/** strtol()-like: optional leading blanks and sign, then digits; returns [value, rest]. */
function strtol(text: string): [number, string] | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (m === null) return undefined;
  return [Number(m[1]), text.slice(m[0].length)];
}

export function parseBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new ConfigError(`bad boolean configuration: ${name} = ${value}`);
}

export function parseInt32(name: string, value: string): number {
  const r = strtol(value);
  if (r === undefined || r[1] !== '' || r[0] > INT_MAX || r[0] < -INT_MAX - 1) {
    throw new ConfigError(`bad numerical configuration: ${name} = ${value}`);
  }
  return r[0];
}

/** Sizes are C longs in Postfix (64-bit on Linux); JS numbers are exact to 2^53. */
export function parseLong(name: string, value: string): number {
  const r = strtol(value);
  if (r === undefined || r[1] !== '' || !Number.isSafeInteger(r[0])) {
    throw new ConfigError(`bad numerical configuration: ${name} = ${value}`);
  }
  return r[0];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * conv_time(): integer plus optional unit letter (s m h d w); without a letter the
 * parameter's default unit applies. Postfix ignores anything after the unit letter.
 */
export function parseTime(name: string, value: string, defaultUnit: string): number {
  const r = strtol(value);
  const bad = (): never => {
    throw new ConfigError(`parameter ${name}: bad time value or unit: ${value}`);
  };
  if (r === undefined || r[0] < 0 || r[0] > INT_MAX) return bad();
  const unit = r[1] === '' ? defaultUnit : (r[1][0] as string);
  const factor = UNIT_SECONDS[unit];
  if (factor === undefined) return bad();
  if (factor > 1 && r[0] >= Math.floor(INT_MAX / factor)) return bad();
  return r[0] * factor;
}

/**
 * Splits a list value on commas and whitespace (Postfix CHARS_COMMA_SP), keeping a
 * `{...}` group (and so `type:{...}` inline tables) as one element with its braces.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of value) {
    if (
      depth === 0 &&
      (c === ',' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f')
    ) {
      if (cur !== '') out.push(cur);
      cur = '';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}
