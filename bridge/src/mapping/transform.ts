// The Transform__c grammar of Responsys_Field_Map__mdt (CONTRACTS.md section 6): steps separated by
// `|`, applied left to right on the way to Responsys; each step is `name` or `name:argument`.
//
//   trim | lower | upper | truncate:N | default:VALUE | date | datetime | bool:T/F | map:a=b,c=d,*=z
//
// Inbound (Responsys -> Salesforce) applies the inverse steps right to left where one exists: `bool`
// and `map` invert, `trim` applies, `date`/`datetime` turn Responsys' text back into Salesforce's
// format, and `lower`, `upper`, `truncate` and `default` are skipped (they cannot be undone).

/** A value as read from a Salesforce record (SOQL JSON). */
export type SalesforceValue = string | number | boolean | null | undefined;

export type StepFailureCode = 'UNMAPPED_VALUE' | 'INVALID_VALUE';

export type OutboundResult =
  { ok: true; value: string | null } | { ok: false; code: StepFailureCode; message: string };

export type InboundResult =
  | { ok: true; value: string | boolean | null }
  /** the value cannot be turned back into a Salesforce value (a map's `*` fallback): leave the field alone */
  | { ok: 'skip'; reason: string }
  | { ok: false; code: StepFailureCode; message: string };

export class TransformSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly problem: string,
  ) {
    super(`Transform "${expression}" is invalid: ${problem}`);
    this.name = 'TransformSyntaxError';
  }
}

export type TransformStep =
  | { name: 'trim' | 'lower' | 'upper' | 'date' | 'datetime' }
  | { name: 'truncate'; length: number }
  | { name: 'default'; value: string }
  | { name: 'bool'; whenTrue: string; whenFalse: string }
  | { name: 'map'; entries: ReadonlyMap<string, string>; fallback: string | undefined };

const stepNames = [
  'trim',
  'lower',
  'upper',
  'truncate',
  'default',
  'date',
  'datetime',
  'bool',
  'map',
] as const;
const withoutArgument = new Set(['trim', 'lower', 'upper', 'date', 'datetime']);
const MAX_TRUNCATE = 32_000;

export class Transform {
  private constructor(
    readonly expression: string,
    readonly steps: readonly TransformStep[],
  ) {}

  /** Parses an expression; blank means no transformation. Throws TransformSyntaxError. */
  static parse(expression: string | null | undefined): Transform {
    const text = (expression ?? '').trim();
    if (text === '') return new Transform('', []);
    return new Transform(
      text,
      text.split('|').map((raw, index) => parseStep(text, raw.trim(), index + 1)),
    );
  }

  /** The length `truncate` cuts to last, if any (for validating against column sizes). */
  get truncatesTo(): number | undefined {
    let length: number | undefined;
    for (const step of this.steps) if (step.name === 'truncate') length = step.length;
    return length;
  }

  has(name: TransformStep['name']): boolean {
    return this.steps.some((step) => step.name === name);
  }

  /** Salesforce value -> Responsys text. */
  outbound(input: SalesforceValue): OutboundResult {
    let value: string | boolean | null = normaliseInput(input);
    for (const step of this.steps) {
      const result = applyOutbound(step, value);
      if (!result.ok) return result;
      value = result.value;
    }
    return { ok: true, value: value === null ? null : String(value) };
  }

  /** Responsys text -> Salesforce value (string, boolean or null), through the inverse steps. */
  inbound(input: string | null | undefined): InboundResult {
    let value: string | boolean | null = input === undefined ? null : input;
    for (const step of [...this.steps].reverse()) {
      const result = applyInbound(step, value);
      if (result.ok !== true) return result;
      value = result.value;
    }
    return { ok: true, value };
  }
}

function parseStep(expression: string, raw: string, position: number): TransformStep {
  const fail = (problem: string): never => {
    throw new TransformSyntaxError(expression, `step ${position} ${problem}`);
  };
  if (raw === '') fail('is empty (two | in a row, or one at an end)');
  const colon = raw.indexOf(':');
  const name = (colon === -1 ? raw : raw.slice(0, colon)).trim().toLowerCase();
  const argument = colon === -1 ? undefined : raw.slice(colon + 1);
  if (!(stepNames as readonly string[]).includes(name)) {
    fail(`"${raw}" is not a known step (known: ${stepNames.join(', ')})`);
  }
  if (withoutArgument.has(name)) {
    if (argument !== undefined) fail(`"${name}" takes no argument`);
    return { name } as TransformStep;
  }
  if (argument === undefined || argument.trim() === '') fail(`"${name}" needs an argument (${name}:…)`);
  const arg = argument!;
  switch (name) {
    case 'truncate': {
      const length = Number(arg.trim());
      if (!/^\d+$/.test(arg.trim()) || length < 1 || length > MAX_TRUNCATE) {
        fail(`"truncate" needs a whole number of characters from 1 to ${MAX_TRUNCATE}, not "${arg}"`);
      }
      return { name: 'truncate', length };
    }
    case 'default':
      return { name: 'default', value: arg };
    case 'bool': {
      const parts = arg.split('/');
      if (parts.length !== 2 || parts.some((part) => part.trim() === '')) {
        fail(`"bool" needs two values separated by / (bool:T/F), not "${arg}"`);
      }
      const [whenTrue, whenFalse] = parts.map((part) => part.trim()) as [string, string];
      if (whenTrue === whenFalse) fail(`"bool" needs two different values, not "${arg}"`);
      return { name: 'bool', whenTrue, whenFalse };
    }
    default: {
      const entries = new Map<string, string>();
      let fallback: string | undefined;
      for (const rawEntry of arg.split(',')) {
        const equals = rawEntry.indexOf('=');
        if (equals === -1) fail(`"map" entry "${rawEntry.trim()}" needs the form from=to`);
        const from = rawEntry.slice(0, equals).trim();
        const to = rawEntry.slice(equals + 1).trim();
        if (from === '') fail(`"map" entry "${rawEntry.trim()}" has nothing before =`);
        if (from === '*') {
          if (fallback !== undefined) fail('"map" has two * fallbacks');
          fallback = to;
        } else {
          if (entries.has(from)) fail(`"map" maps "${from}" twice`);
          entries.set(from, to);
        }
      }
      if (entries.size === 0) fail('"map" needs at least one from=to entry besides *');
      return { name: 'map', entries, fallback };
    }
  }
}

function normaliseInput(input: SalesforceValue): string | boolean | null {
  if (input === null || input === undefined) return null;
  if (typeof input === 'number') return Number.isFinite(input) ? String(input) : null;
  return input;
}

const asText = (value: string | boolean): string => (typeof value === 'boolean' ? String(value) : value);

function applyOutbound(
  step: TransformStep,
  value: string | boolean | null,
): OutboundResult | { ok: true; value: string | boolean | null } {
  switch (step.name) {
    case 'trim':
      return { ok: true, value: value === null ? null : asText(value).trim() };
    case 'lower':
      return { ok: true, value: value === null ? null : asText(value).toLowerCase() };
    case 'upper':
      return { ok: true, value: value === null ? null : asText(value).toUpperCase() };
    case 'truncate': {
      if (value === null) return { ok: true, value };
      const text = asText(value);
      // A string no longer in UTF-16 units than the limit has no more code points either: only a
      // longer one is split into characters (an array per value would cost every record of a backfill).
      if (text.length <= step.length) return { ok: true, value: text };
      // By characters (code points), so a cut never splits an emoji or another surrogate pair.
      const characters = Array.from(text);
      return {
        ok: true,
        value: characters.length > step.length ? characters.slice(0, step.length).join('') : text,
      };
    }
    case 'default':
      return { ok: true, value: value === null || value === '' ? step.value : value };
    case 'date':
    case 'datetime': {
      if (value === null || value === '') return { ok: true, value: null };
      const instant = parseSalesforceDate(asText(value));
      if (!instant)
        return { ok: false, code: 'INVALID_VALUE', message: `"${asText(value)}" is not a date or date-time` };
      return {
        ok: true,
        value: step.name === 'date' ? instant.toISOString().slice(0, 10) : responsysDateTime(instant),
      };
    }
    case 'bool': {
      if (value === null || value === '' || value === false) return { ok: true, value: step.whenFalse };
      if (value === true) return { ok: true, value: step.whenTrue };
      const text = value.trim().toLowerCase();
      if (text === 'true') return { ok: true, value: step.whenTrue };
      if (text === 'false') return { ok: true, value: step.whenFalse };
      return { ok: false, code: 'INVALID_VALUE', message: `"${value}" is not true or false` };
    }
    case 'map': {
      if (value === null) return { ok: true, value: null };
      const mapped = step.entries.get(asText(value)) ?? step.fallback;
      if (mapped === undefined) {
        return {
          ok: false,
          code: 'UNMAPPED_VALUE',
          message: `"${asText(value)}" has no mapping (mapped: ${[...step.entries.keys()].join(', ')}; add *=VALUE for a fallback)`,
        };
      }
      return { ok: true, value: mapped };
    }
  }
}

function applyInbound(step: TransformStep, value: string | boolean | null): InboundResult {
  switch (step.name) {
    case 'trim':
      return { ok: true, value: typeof value === 'string' ? value.trim() : value };
    case 'lower':
    case 'upper':
    case 'truncate':
    case 'default':
      return { ok: true, value };
    case 'date':
    case 'datetime': {
      if (value === null || value === '' || typeof value === 'boolean') return { ok: true, value: null };
      const instant = parseResponsysDate(value);
      if (!instant)
        return { ok: false, code: 'INVALID_VALUE', message: `"${value}" is not a date or date-time` };
      return {
        ok: true,
        value: step.name === 'date' ? instant.toISOString().slice(0, 10) : instant.toISOString(),
      };
    }
    case 'bool': {
      if (value === null || value === '') return { ok: true, value: null };
      const text = String(value).trim();
      if (text === step.whenTrue) return { ok: true, value: true };
      if (text === step.whenFalse) return { ok: true, value: false };
      return {
        ok: false,
        code: 'INVALID_VALUE',
        message: `"${text}" is neither ${step.whenTrue} (true) nor ${step.whenFalse} (false)`,
      };
    }
    case 'map': {
      if (value === null) return { ok: true, value: null };
      const text = String(value);
      // Several Salesforce values may map to one Responsys value: the first one listed wins.
      for (const [from, to] of step.entries) if (to === text) return { ok: true, value: from };
      if (step.fallback !== undefined && text === step.fallback) {
        return {
          ok: 'skip',
          reason: `"${text}" is the fallback of the value map; the Salesforce value it came from is unknown`,
        };
      }
      return { ok: false, code: 'UNMAPPED_VALUE', message: `no Salesforce value maps to "${text}"` };
    }
  }
}

/** Salesforce dates (`2024-01-02`) and date-times (`2024-01-02T03:04:05.000+0000`, ISO 8601). */
export function parseSalesforceDate(text: string): Date | undefined {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return validDate(new Date(`${trimmed}T00:00:00Z`), trimmed);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(trimmed)) return undefined;
  return validDate(new Date(trimmed.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')), trimmed.slice(0, 10));
}

const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/**
 * Dates as Responsys returns them: `YYYY-MM-DD`, `YYYY-MM-DD HH:mm:ss[.f]` (UTC), ISO 8601, or the
 * export format `DD-MON-YYYY HH24:MI:SS`.
 */
export function parseResponsysDate(text: string): Date | undefined {
  const trimmed = text.trim();
  const plain = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    trimmed,
  );
  if (plain) {
    const zone = plain[3] ? plain[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z';
    return validDate(new Date(`${plain[1]}T${plain[2] ?? '00:00:00'}${zone}`), plain[1]!);
  }
  const oracle = /^(\d{2})-([A-Za-z]{3})-(\d{4})(?: (\d{2}:\d{2}:\d{2}))?$/.exec(trimmed);
  if (oracle) {
    const month = months.indexOf(oracle[2]!.toUpperCase());
    if (month === -1) return undefined;
    const day = `${oracle[3]}-${String(month + 1).padStart(2, '0')}-${oracle[1]}`;
    return validDate(new Date(`${day}T${oracle[4] ?? '00:00:00'}Z`), day);
  }
  return undefined;
}

/** A Date, unless it is invalid or rolled over (2024-02-30 is not March 1st). */
function validDate(date: Date, day: string): Date | undefined {
  if (Number.isNaN(date.getTime())) return undefined;
  const [year, month, dayOfMonth] = day.split('-').map(Number);
  const check = new Date(Date.UTC(year!, month! - 1, dayOfMonth!));
  return check.getUTCMonth() === month! - 1 && check.getUTCDate() === dayOfMonth ? date : undefined;
}

/** `YYYY-MM-DD HH:mm:ss` in UTC. */
function responsysDateTime(instant: Date): string {
  return instant.toISOString().slice(0, 19).replace('T', ' ');
}
