import type {
  Condition,
  FieldType as SoqlFieldType,
  FunctionExp,
  OrderByClause,
  Query,
  Subquery,
  WhereClause,
} from 'soql-parser-js';
import type { SchemaCatalog } from '../schema/catalog.js';
import { normalizeId } from '../schema/ids.js';
import {
  isNumericType,
  isTextType,
  type ChildRelationship,
  type ComputedValue,
  type FieldDef,
  type FieldValue,
  type ObjectDef,
  type StoredRecord,
} from '../schema/types.js';
import type { DataStore } from '../data/store.js';
import { compareValues, parseDate, parseDateTime } from '../data/values.js';
import { dateLiteralRange, type DateRange } from './date-literals.js';
import { locate, soqlError, SoqlError } from './parse.js';

// Compiles a parsed SOQL query against the org's schema into closures: getters for field paths
// (through parent relationships, polymorphic ones included), a predicate for WHERE, comparators for
// ORDER BY, child subqueries and aggregates. Validation errors carry Salesforce's codes and texts.

export interface ExecContext {
  store: DataStore;
  catalog: SchemaCatalog;
  nowMs: number;
  userId: string;
  includeDeleted: boolean;
}

type Getter = (row: StoredRecord, ctx: ExecContext) => ComputedValue;
type Predicate = (row: StoredRecord, ctx: ExecContext) => boolean;

const NO_SUCH_COLUMN_HINT =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
const NO_SUCH_RELATIONSHIP_HINT =
  "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";

export interface ResolvedPath {
  /** Canonical dotted name, `Account.Owner.Name`. */
  canonical: string;
  /** Reference fields traversed, in order. */
  hops: FieldDef[];
  /** Canonical relationship names, for nesting output. */
  relationships: string[];
  /** The leaf field as the first target object defines it (types and labels). */
  field: FieldDef;
  /** `Owner.Type` on a polymorphic relationship: the target's object name. */
  pseudoType: boolean;
  get: Getter;
}

/** Reads a field of a row, computing it when the field is computed. */
export function readField(field: FieldDef, row: StoredRecord, store: DataStore): ComputedValue {
  return field.compute ? field.compute(row, store) : (row[field.name] ?? null);
}

const TYPE_FIELD = (polymorphic: FieldDef): FieldDef => ({
  ...polymorphic,
  name: 'Type',
  label: 'Type',
  type: 'string',
  referenceTo: [],
  relationshipName: null,
  compute: undefined,
});

export class QueryCompiler {
  constructor(
    readonly catalog: SchemaCatalog,
    readonly soql: string,
  ) {}

  fail(errorCode: string, token: string, reason: string, from = 0): SoqlError {
    return soqlError(errorCode, this.soql, locate(this.soql, token, from), reason);
  }

  object(name: string): ObjectDef {
    const object = this.catalog.object(name);
    if (!object) {
      throw this.fail(
        'INVALID_TYPE',
        name,
        `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    if (!object.queryable) {
      throw this.fail(
        'INVALID_TYPE_FOR_OPERATION',
        name,
        `entity type ${object.name} does not support query`,
      );
    }
    return object;
  }

  /** Resolves `Account.Owner.Name` (or an alias-prefixed path) from `object`. */
  path(object: ObjectDef, dotted: string, alias?: string): ResolvedPath {
    let parts = dotted.split('.');
    if (alias && parts.length > 1 && parts[0]!.toLowerCase() === alias.toLowerCase()) parts = parts.slice(1);
    const hops: FieldDef[] = [];
    const relationships: string[] = [];
    let targets: ObjectDef[] = [object];
    for (const part of parts.slice(0, -1)) {
      let ref: FieldDef | undefined;
      for (const target of targets) {
        ref = this.catalog.parentRelationship(target, part);
        if (ref) break;
      }
      if (!ref) {
        throw this.fail(
          'INVALID_FIELD',
          dotted,
          `Didn't understand relationship '${part}' in field path. ${NO_SUCH_RELATIONSHIP_HINT}`,
        );
      }
      hops.push(ref);
      relationships.push(ref.relationshipName!);
      targets = ref.referenceTo
        .map((name) => this.catalog.object(name))
        .filter((o): o is ObjectDef => o !== undefined);
    }
    const leafName = parts[parts.length - 1]!;
    const lastHop = hops[hops.length - 1];
    const polymorphic = lastHop !== undefined && lastHop.referenceTo.length > 1;
    if (polymorphic && leafName.toLowerCase() === 'type') {
      const field = TYPE_FIELD(lastHop);
      return {
        canonical: [...relationships, 'Type'].join('.'),
        hops,
        relationships,
        field,
        pseudoType: true,
        get: this.getter(hops, new Map(), true),
      };
    }
    const byObject = new Map<string, FieldDef>();
    for (const target of targets) {
      const f = this.catalog.field(target, leafName);
      if (f) byObject.set(target.name, f);
    }
    const field = byObject.values().next().value;
    if (!field) {
      const entity = targets.length === 1 ? targets[0]!.name : 'Name';
      throw this.fail(
        'INVALID_FIELD',
        dotted,
        `No such column '${leafName}' on entity '${entity}'. ${NO_SUCH_COLUMN_HINT}`,
      );
    }
    return {
      canonical: [...relationships, field.name].join('.'),
      hops,
      relationships,
      field,
      pseudoType: false,
      get: this.getter(hops, byObject, false),
    };
  }

  private getter(hops: FieldDef[], byObject: Map<string, FieldDef>, pseudoType: boolean): Getter {
    if (hops.length === 0) {
      const field = byObject.values().next().value!;
      if (field.compute) return (row, ctx) => field.compute!(row, ctx.store);
      const name = field.name;
      return (row) => row[name] ?? null;
    }
    const single = byObject.size === 1 ? byObject.values().next().value : undefined;
    return (row, ctx) => {
      let current: StoredRecord | undefined = row;
      for (const hop of hops) {
        const id = current[hop.name];
        if (typeof id !== 'string' || !id) return null;
        current = ctx.store.get(id);
        if (!current) return null;
      }
      if (pseudoType) return ctx.catalog.objectForId(current.Id as string)?.name ?? null;
      const field = single ?? byObject.get(ctx.catalog.objectForId(current.Id as string)?.name ?? '');
      return field ? readField(field, current, ctx.store) : null;
    };
  }

  // ---- WHERE -------------------------------------------------------------------------------

  /** Builds a predicate from soql-parser-js's flattened condition list, with SOQL precedence. */
  where(
    object: ObjectDef,
    clause: WhereClause | undefined,
    alias?: string,
    hints?: IndexHint[],
  ): Predicate | undefined {
    if (!clause) return undefined;
    type Token = '(' | ')' | 'AND' | 'OR' | 'NOT' | { condition: Condition };
    const tokens: Token[] = [];
    let node: WhereClause | undefined = clause;
    while (node) {
      const left = node.left as (Condition & { openParen?: number; closeParen?: number }) | null;
      const isCondition = left !== null && ('field' in left || 'fn' in left);
      if (!isCondition) {
        for (let i = 0; i < (left?.openParen ?? 0); i++) tokens.push('(');
        tokens.push('NOT');
      } else {
        for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push('(');
        tokens.push({ condition: left });
        for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
        if ('operator' in node && node.operator && node.operator !== 'NOT') tokens.push(node.operator);
        else if ('operator' in node && node.operator === 'NOT') tokens.push('NOT');
      }
      node = 'right' in node ? (node.right as WhereClause | undefined) : undefined;
    }
    let pos = 0;
    let searchFrom = locate(this.soql, 'WHERE');
    let topLevelOperator: 'AND' | 'OR' | undefined;
    const parseExpr = (depth: number): Predicate => {
      const terms = [parseTerm(depth)];
      let op: 'AND' | 'OR' | undefined;
      while (pos < tokens.length && (tokens[pos] === 'AND' || tokens[pos] === 'OR')) {
        const next = tokens[pos] as 'AND' | 'OR';
        if (op && op !== next) {
          // SOQL has no precedence between AND and OR: mixing them needs parentheses.
          throw this.fail('MALFORMED_QUERY', next, `unexpected token: ${next}`, Math.max(searchFrom, 0));
        }
        op = next;
        pos += 1;
        terms.push(parseTerm(depth));
      }
      if (depth === 0) topLevelOperator = op;
      if (terms.length === 1) return terms[0]!;
      return op === 'OR'
        ? (row, ctx) => terms.some((t) => t(row, ctx))
        : (row, ctx) => terms.every((t) => t(row, ctx));
    };
    const parseTerm = (depth: number): Predicate => {
      const token = tokens[pos++];
      if (token === 'NOT') {
        const inner = parseTerm(depth + 1);
        return (row, ctx) => !inner(row, ctx);
      }
      if (token === '(') {
        const inner = parseExpr(depth + 1);
        if (tokens[pos] === ')') pos += 1;
        return inner;
      }
      if (token && typeof token === 'object') {
        const cond = token.condition as { field?: string; fn?: FunctionExp };
        const fieldToken = cond.field ?? cond.fn?.rawValue ?? '';
        const at = locate(this.soql, fieldToken, Math.max(searchFrom, 0));
        if (at >= 0) searchFrom = at + 1;
        const { predicate, hint } = this.condition(object, token.condition, alias);
        // Conditions at the top level of a conjunction can narrow the scan through an index.
        if (depth === 0 && hint) hints?.push(hint);
        return predicate;
      }
      throw this.fail('MALFORMED_QUERY', '', 'unexpected token: <EOF>');
    };
    const predicate = parseExpr(0);
    if (topLevelOperator === 'OR' && hints) hints.length = 0;
    return predicate;
  }

  private literal(raw: string): string {
    const inner = raw.slice(1, -1);
    return inner.replace(/\\(.)/g, (_m, c: string) =>
      c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === 'b' ? '\b' : c === 'f' ? '\f' : c,
    );
  }

  private condition(
    object: ObjectDef,
    condition: Condition,
    alias?: string,
  ): { predicate: Predicate; hint?: IndexHint } {
    const c = condition as Condition & {
      field?: string;
      fn?: FunctionExp;
      operator: string;
      value?: string | string[];
      literalType?: string | string[];
      dateLiteralVariable?: number | number[];
      valueQuery?: Query;
    };
    let resolved: { get: Getter; field: FieldDef; canonical: string };
    if (c.fn) resolved = this.dateFunction(object, c.fn, alias);
    else resolved = this.path(object, c.field!, alias);
    const { field, get } = resolved;
    const operator = c.operator.toUpperCase();
    if (!field.filterable && !c.fn) {
      throw this.fail('INVALID_FIELD', c.field!, `field '${field.name}' can not be filtered in a query call`);
    }
    if (c.valueQuery) return { predicate: this.semiJoin(c.valueQuery, get, operator === 'NOT IN') };
    const rawValues = Array.isArray(c.value) ? c.value : [c.value ?? ''];
    const types: string[] = Array.isArray(c.literalType)
      ? c.literalType
      : rawValues.map(() => (c.literalType as string | undefined) ?? 'STRING');
    const ns = Array.isArray(c.dateLiteralVariable)
      ? c.dateLiteralVariable
      : rawValues.map(() => c.dateLiteralVariable as number);
    const operands = rawValues.map((raw, i) =>
      this.operand(field, c.fn ? undefined : c.field, raw, types[i] ?? 'STRING', ns[i] ?? 0),
    );
    const compare = comparator(field);
    const test = (value: ComputedValue, operand: Operand, ctx: ExecContext): boolean => {
      if (operand.kind === 'range') {
        const range = operand.range(ctx.nowMs);
        const ms = toMs(field, value);
        if (ms === undefined) return operator === '!=';
        switch (operator) {
          case '=':
          case 'IN':
            return ms >= range.start && ms < range.end;
          case '!=':
          case 'NOT IN':
            return ms < range.start || ms >= range.end;
          case '<':
            return ms < range.start;
          case '<=':
            return ms < range.end;
          case '>':
            return ms >= range.end;
          case '>=':
            return ms >= range.start;
          default:
            return false;
        }
      }
      const v = operand.value;
      if (value === null || typeof value === 'object') {
        if (operator === '=' || operator === 'IN') return v === null;
        if (operator === '!=' || operator === 'NOT IN') return v !== null;
        return false;
      }
      if (v === null) return operator === '!=' || operator === 'NOT IN';
      switch (operator) {
        case '=':
        case 'IN':
          return compare(value, v) === 0;
        case '!=':
        case 'NOT IN':
          return compare(value, v) !== 0;
        case '<':
          return compare(value, v) < 0;
        case '<=':
          return compare(value, v) <= 0;
        case '>':
          return compare(value, v) > 0;
        case '>=':
          return compare(value, v) >= 0;
        case 'LIKE':
          return operand.like!.test(String(value));
        default:
          return false;
      }
    };
    let predicate: Predicate;
    if (operator === 'INCLUDES' || operator === 'EXCLUDES') {
      const wanted = operands.map((o) =>
        String(o.kind === 'value' ? (o.value ?? '') : '')
          .split(';')
          .map((s) => s.trim().toLowerCase()),
      );
      predicate = (row, ctx) => {
        const value = get(row, ctx);
        const have = new Set(
          typeof value === 'string' ? value.split(';').map((s) => s.trim().toLowerCase()) : [],
        );
        const any = wanted.some((all) => all.every((w) => have.has(w)));
        return operator === 'INCLUDES' ? any : !any;
      };
    } else if (operator === 'NOT IN') {
      predicate = (row, ctx) => {
        const value = get(row, ctx);
        return operands.every((o) => test(value, o, ctx));
      };
    } else if (operands.length > 1 || operator === 'IN') {
      const fast =
        operands.every((o) => o.kind === 'value' && typeof o.value === 'string') &&
        (field.type === 'id' || field.type === 'reference')
          ? new Set(operands.map((o) => (o as { value: string }).value))
          : undefined;
      predicate = fast
        ? (row, ctx) => {
            const value = get(row, ctx);
            return typeof value === 'string' && fast.has(value);
          }
        : (row, ctx) => {
            const value = get(row, ctx);
            return operands.some((o) => test(value, o, ctx));
          };
    } else {
      const operand = operands[0]!;
      predicate = (row, ctx) => test(get(row, ctx), operand, ctx);
    }
    const indexable =
      (operator === '=' || operator === 'IN') &&
      !c.fn &&
      'hops' in resolved &&
      (resolved as ResolvedPath).hops.length === 0 &&
      operands.every((o) => o.kind === 'value' && o.value !== null);
    const hint = indexable
      ? { field, values: operands.map((o) => (o as { value: FieldValue }).value) }
      : undefined;
    return { predicate, hint };
  }

  private semiJoin(valueQuery: Query, get: Getter, negate: boolean): Predicate {
    const inner = this.object(valueQuery.sObject ?? '');
    const fields = valueQuery.fields ?? [];
    if (fields.length !== 1 || (fields[0]!.type !== 'Field' && fields[0]!.type !== 'FieldRelationship')) {
      throw this.fail(
        'MALFORMED_QUERY',
        valueQuery.sObject ?? '',
        'The inner select field must be a single Id or reference field',
      );
    }
    const selected = fields[0] as { field: string; relationships?: string[] };
    const path = this.path(inner, [...(selected.relationships ?? []), selected.field].join('.'));
    const plan = new RecordsPlanBuilder(this).build(inner, valueQuery as Query, undefined);
    let cache: { at: number; values: Set<string> } | undefined;
    return (row, ctx) => {
      if (!cache || cache.at !== ctx.nowMs) {
        const values = new Set<string>();
        for (const r of plan.rows(ctx)) {
          const v = path.get(r, ctx);
          if (typeof v === 'string') values.add(v);
        }
        cache = { at: ctx.nowMs, values };
      }
      const value = get(row, ctx);
      const found = typeof value === 'string' && cache.values.has(value);
      return negate ? !found : found;
    };
  }

  private dateFunction(
    object: ObjectDef,
    fn: FunctionExp,
    alias?: string,
  ): { get: Getter; field: FieldDef; canonical: string } {
    const name = (fn.functionName ?? '').toUpperCase();
    const param = String(fn.parameters?.[0] ?? '');
    const inner = this.path(object, param, alias);
    const ms = (row: StoredRecord, ctx: ExecContext) => toMs(inner.field, inner.get(row, ctx));
    const intField: FieldDef = { ...inner.field, type: 'int', name: fn.rawValue ?? name, compute: undefined };
    const part =
      (extract: (d: Date) => number): Getter =>
      (row, ctx) => {
        const t = ms(row, ctx);
        return t === undefined ? null : extract(new Date(t));
      };
    switch (name) {
      case 'CALENDAR_YEAR':
      case 'FISCAL_YEAR':
        return { get: part((d) => d.getUTCFullYear()), field: intField, canonical: fn.rawValue ?? name };
      case 'CALENDAR_MONTH':
      case 'FISCAL_MONTH':
        return { get: part((d) => d.getUTCMonth() + 1), field: intField, canonical: fn.rawValue ?? name };
      case 'CALENDAR_QUARTER':
      case 'FISCAL_QUARTER':
        return {
          get: part((d) => Math.floor(d.getUTCMonth() / 3) + 1),
          field: intField,
          canonical: fn.rawValue ?? name,
        };
      case 'DAY_IN_MONTH':
        return { get: part((d) => d.getUTCDate()), field: intField, canonical: fn.rawValue ?? name };
      case 'DAY_IN_WEEK':
        return { get: part((d) => d.getUTCDay() + 1), field: intField, canonical: fn.rawValue ?? name };
      case 'HOUR_IN_DAY':
        return { get: part((d) => d.getUTCHours()), field: intField, canonical: fn.rawValue ?? name };
      case 'DAY_ONLY':
        return {
          get: (row, ctx) => {
            const t = ms(row, ctx);
            return t === undefined ? null : new Date(t).toISOString().slice(0, 10);
          },
          field: { ...inner.field, type: 'date', name: fn.rawValue ?? name, compute: undefined },
          canonical: fn.rawValue ?? name,
        };
      default:
        throw this.fail(
          'MALFORMED_QUERY',
          fn.functionName ?? '',
          `unexpected token: ${fn.functionName ?? ''}`,
        );
    }
  }

  private operand(
    field: FieldDef,
    fieldToken: string | undefined,
    raw: string,
    literalType: string,
    n: number,
  ): Operand {
    const token = fieldToken ?? field.name;
    const typeName =
      field.type === 'int'
        ? 'integer'
        : isNumericType(field.type)
          ? 'double'
          : field.type === 'datetime'
            ? 'dateTime'
            : field.type === 'id' || field.type === 'reference' || isTextType(field.type)
              ? 'string'
              : field.type;
    const quoted = typeName === 'string';
    const wrongType = () =>
      this.fail(
        'INVALID_FIELD',
        token,
        `value of filter criterion for field '${field.name}' must be of type ${typeName} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
      );
    if (literalType === 'NULL') return { kind: 'value', value: null };
    if (literalType === 'DATE_LITERAL' || literalType === 'DATE_N_LITERAL') {
      if (field.type !== 'date' && field.type !== 'datetime') throw wrongType();
      const name = raw.split(':')[0]!;
      if (!dateLiteralRange(name, 0, n)) throw this.fail('MALFORMED_QUERY', raw, `unexpected token: ${raw}`);
      return { kind: 'range', range: (now: number) => dateLiteralRange(name, now, n) as DateRange };
    }
    if (field.type === 'id' || field.type === 'reference') {
      if (literalType !== 'STRING') throw wrongType();
      const text = this.literal(raw);
      const id = normalizeId(text);
      if (!id) {
        if (field.type === 'id' || text !== '') {
          throw this.fail('INVALID_QUERY_FILTER_OPERATOR', token, `invalid ID field: ${text}`);
        }
        return { kind: 'value', value: null };
      }
      return { kind: 'value', value: id };
    }
    if (isTextType(field.type)) {
      if (literalType !== 'STRING') throw wrongType();
      const text = this.literal(raw);
      return { kind: 'value', value: text, like: likePattern(raw.slice(1, -1)) };
    }
    if (field.type === 'boolean') {
      if (literalType !== 'BOOLEAN') throw wrongType();
      return { kind: 'value', value: raw.toUpperCase() === 'TRUE' };
    }
    if (isNumericType(field.type)) {
      if (
        !['INTEGER', 'DECIMAL', 'INTEGER_WITH_CURRENCY_PREFIX', 'DECIMAL_WITH_CURRENCY_PREFIX'].includes(
          literalType,
        )
      ) {
        throw wrongType();
      }
      return { kind: 'value', value: Number(raw.replace(/^[A-Z]{3}/, '')) };
    }
    if (field.type === 'date') {
      if (literalType !== 'DATE') throw wrongType();
      const d = parseDate(raw);
      if (!d) throw wrongType();
      return { kind: 'value', value: d };
    }
    if (field.type === 'datetime') {
      if (literalType !== 'DATETIME') throw wrongType();
      const dt = parseDateTime(raw);
      if (!dt) throw wrongType();
      return { kind: 'value', value: dt };
    }
    return { kind: 'value', value: this.literal(raw) };
  }

  // ---- ORDER BY ----------------------------------------------------------------------------

  orderBy(
    object: ObjectDef,
    clauses: OrderByClause | OrderByClause[] | undefined,
    alias: string | undefined,
    resolveFn?: (fn: FunctionExp) => Getter,
  ): ((a: StoredRecord, b: StoredRecord, ctx: ExecContext) => number) | undefined {
    const list = clauses ? (Array.isArray(clauses) ? clauses : [clauses]) : [];
    if (!list.length) return undefined;
    const keys = list.map((clause) => {
      let get: Getter;
      let field: FieldDef | undefined;
      if ('fn' in clause && clause.fn) {
        if (!resolveFn)
          throw this.fail(
            'MALFORMED_QUERY',
            clause.fn.rawValue ?? '',
            `unexpected token: ${clause.fn.functionName ?? ''}`,
          );
        get = resolveFn(clause.fn);
      } else {
        const path = this.path(object, (clause as { field: string }).field, alias);
        if (!path.field.sortable) {
          throw this.fail(
            'INVALID_FIELD',
            (clause as { field: string }).field,
            `field '${path.field.name}' can not be sorted in a query call`,
          );
        }
        get = path.get;
        field = path.field;
      }
      const desc = clause.order === 'DESC';
      const nullsFirst = clause.nulls ? clause.nulls === 'FIRST' : !desc;
      const compare = field ? comparator(field) : (a: FieldValue, b: FieldValue) => compareValues(a, b);
      return { get, desc, nullsFirst, compare };
    });
    return (a, b, ctx) => {
      for (const key of keys) {
        const va = key.get(a, ctx);
        const vb = key.get(b, ctx);
        const an = va === null || typeof va === 'object';
        const bn = vb === null || typeof vb === 'object';
        if (an && bn) continue;
        if (an) return key.nullsFirst ? -1 : 1;
        if (bn) return key.nullsFirst ? 1 : -1;
        const c = key.compare(va as FieldValue, vb as FieldValue);
        if (c !== 0) return key.desc ? -c : c;
      }
      return 0;
    };
  }
}

export interface IndexHint {
  field: FieldDef;
  values: FieldValue[];
}

type Operand =
  { kind: 'value'; value: FieldValue; like?: RegExp } | { kind: 'range'; range: (now: number) => DateRange };

function likePattern(raw: string): RegExp {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) {
      out += raw[i + 1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    } else if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'is');
}

function toMs(field: FieldDef, value: ComputedValue): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (field.type === 'date') return Date.parse(`${value}T00:00:00.000Z`);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function comparator(field: FieldDef): (a: FieldValue, b: FieldValue) => number {
  if (field.type === 'id' || field.type === 'reference') {
    return (a, b) => (a === b ? 0 : String(a) < String(b) ? -1 : 1);
  }
  if (field.type === 'datetime') {
    return (a, b) => Date.parse(String(a)) - Date.parse(String(b));
  }
  return compareValues;
}

// ---- Plans -------------------------------------------------------------------------------------

export type SelectNode =
  | { kind: 'field'; key: string; field: FieldDef; byObject?: Map<string, FieldDef>; pseudoType?: boolean }
  | { kind: 'parent'; key: string; ref: FieldDef; children: SelectNode[] }
  | { kind: 'subquery'; key: string; relationship: ChildRelationship; plan: RecordsPlan }
  | {
      kind: 'typeof';
      key: string;
      ref: FieldDef;
      whens: Map<string, SelectNode[]>;
      otherwise?: SelectNode[];
    };

export interface Column {
  header: string;
  field: FieldDef;
  get: Getter;
}

export interface RecordsPlan {
  object: ObjectDef;
  select: SelectNode[];
  columns: Column[];
  limit?: number;
  offset?: number;
  /** Matching rows, filtered, sorted, offset and limited. */
  rows(ctx: ExecContext, candidates?: Iterable<StoredRecord>): StoredRecord[];
}

export class RecordsPlanBuilder {
  constructor(private readonly compiler: QueryCompiler) {}

  build(object: ObjectDef, query: Query | Subquery, parentScope: ChildRelationship | undefined): RecordsPlan {
    const c = this.compiler;
    const alias = query.sObjectAlias;
    const select: SelectNode[] = [];
    const columns: Column[] = [];
    const seen = new Set<string>();
    const addPath = (path: ResolvedPath, token: string) => {
      const key = path.canonical.toLowerCase();
      if (seen.has(key))
        throw c.fail('MALFORMED_QUERY', token, `duplicate field selected: ${path.canonical}`);
      seen.add(key);
      columns.push({ header: path.canonical, field: path.field, get: path.get });
      let level = select;
      let currentTargets = [object];
      path.hops.forEach((hop, i) => {
        const relKey = path.relationships[i]!;
        let node = level.find(
          (n): n is Extract<SelectNode, { kind: 'parent' }> => n.kind === 'parent' && n.key === relKey,
        );
        if (!node) {
          node = { kind: 'parent', key: relKey, ref: hop, children: [] };
          level.push(node);
        }
        level = node.children;
        currentTargets = hop.referenceTo.map((n) => c.catalog.object(n)).filter((o): o is ObjectDef => !!o);
      });
      const byObject = new Map<string, FieldDef>();
      for (const target of currentTargets) {
        const f = path.pseudoType ? path.field : c.catalog.field(target, path.field.name);
        if (f) byObject.set(target.name, f);
      }
      level.push({
        kind: 'field',
        key: path.field.name,
        field: path.field,
        byObject,
        pseudoType: path.pseudoType,
      });
    };
    for (const item of (query.fields ?? []) as SoqlFieldType[]) {
      switch (item.type) {
        case 'Field':
        case 'FieldRelationship': {
          const dotted = item.type === 'Field' ? item.field : [...item.relationships, item.field].join('.');
          addPath(c.path(object, dotted, alias), dotted);
          break;
        }
        case 'FieldFunctionExpression': {
          const fnName = item.functionName.toUpperCase();
          if (fnName === 'FIELDS') {
            const kind = String(item.parameters[0] ?? '').toUpperCase();
            if (kind === 'ALL' && (query.limit === undefined || query.limit > 200)) {
              throw c.fail(
                'MALFORMED_QUERY',
                'FIELDS',
                'The SOQL FIELDS function must have a LIMIT of at most 200',
              );
            }
            for (const f of object.fields) {
              if (f.type === 'address') continue;
              if (kind === 'CUSTOM' && !f.custom) continue;
              if (kind === 'STANDARD' && f.custom) continue;
              if (!seen.has(f.name.toLowerCase())) addPath(c.path(object, f.name), f.name);
            }
          } else if (['TOLABEL', 'FORMAT', 'CONVERTCURRENCY'].includes(fnName)) {
            const dotted = String(item.parameters[0] ?? '');
            addPath(c.path(object, dotted, alias), dotted);
          } else {
            throw c.fail(
              'MALFORMED_QUERY',
              item.functionName,
              `Field must be grouped or aggregated: ${item.rawValue ?? fnName}`,
            );
          }
          break;
        }
        case 'FieldSubquery': {
          if (parentScope) throw c.fail('MALFORMED_QUERY', 'SELECT', 'unexpected token: SELECT');
          const relName = item.subquery.relationshipName;
          const relationship = c.catalog.childRelationship(object, relName);
          if (!relationship) {
            throw c.fail(
              'INVALID_TYPE',
              relName,
              `Didn't understand relationship '${relName}' in FROM part of query call. ${NO_SUCH_RELATIONSHIP_HINT}`,
            );
          }
          const childObject = c.catalog.object(relationship.childSObject)!;
          const plan = this.build(childObject, item.subquery, relationship);
          select.push({ kind: 'subquery', key: relationship.relationshipName!, relationship, plan });
          break;
        }
        case 'FieldTypeof': {
          const ref = c.catalog.parentRelationship(object, item.field);
          if (!ref || ref.referenceTo.length < 2) {
            throw c.fail(
              'MALFORMED_QUERY',
              item.field,
              `TYPEOF can only be used on a polymorphic relationship: ${item.field}`,
            );
          }
          const whens = new Map<string, SelectNode[]>();
          let otherwise: SelectNode[] | undefined;
          for (const cond of item.conditions) {
            const fieldsFor = (target: ObjectDef) =>
              cond.fieldList.map((name) => {
                const f = c.catalog.field(target, name);
                if (!f)
                  throw c.fail(
                    'INVALID_FIELD',
                    name,
                    `No such column '${name}' on entity '${target.name}'. ${NO_SUCH_COLUMN_HINT}`,
                  );
                return { kind: 'field' as const, key: f.name, field: f };
              });
            if (cond.type === 'WHEN') {
              const target = c.object(cond.objectType ?? '');
              whens.set(target.name, fieldsFor(target));
            } else {
              const anyTarget = c.catalog.object(ref.referenceTo[0]!)!;
              otherwise = fieldsFor(anyTarget);
            }
          }
          select.push({ kind: 'typeof', key: ref.relationshipName!, ref, whens, otherwise });
          break;
        }
      }
    }
    if (!select.length) throw c.fail('MALFORMED_QUERY', 'FROM', 'unexpected token: FROM');
    if (query.offset !== undefined && query.offset > 2000) {
      throw new SoqlError('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
    }
    const hints: IndexHint[] = [];
    const where = c.where(object, query.where, alias, hints);
    const order = c.orderBy(object, query.orderBy, alias);
    const limit = query.limit;
    const offset = query.offset;
    const mine = (query as Query).usingScope?.toLowerCase() === 'mine';
    const ownerField = mine ? object.fields.find((f) => f.name === 'OwnerId') : undefined;
    return {
      object,
      select,
      columns,
      limit,
      offset,
      rows(ctx, candidates) {
        const narrowed = candidates ?? candidateRows(ctx, object, hints);
        let out: StoredRecord[] = [];
        const table = narrowed ? undefined : ctx.store.table(object.name);
        if (table && !where && !ownerField && (ctx.includeDeleted || table.liveCount === table.rows.size)) {
          // Every row matches: take them without reading each record (a Bulk export of 100,000 rows).
          out = [...table.rows.values()];
        } else {
          for (const row of narrowed ?? table!.rows.values()) {
            if (!ctx.includeDeleted && row.IsDeleted === true) continue;
            if (ownerField && row.OwnerId !== ctx.userId) continue;
            if (where && !where(row, ctx)) continue;
            out.push(row);
          }
        }
        if (order) out.sort((a, b) => order(a, b, ctx));
        if (offset) out = out.slice(offset);
        if (limit !== undefined) out = out.slice(0, limit);
        return out;
      },
    };
  }
}

/** Rows an index hint narrows the scan to, or undefined for the whole table. */
function candidateRows(
  ctx: ExecContext,
  object: ObjectDef,
  hints: IndexHint[],
): Iterable<StoredRecord> | undefined {
  const table = ctx.store.table(object.name);
  for (const hint of hints) {
    if (hint.field.type === 'id') {
      const out: StoredRecord[] = [];
      for (const v of new Set(hint.values)) {
        const row = table.rows.get(String(v));
        if (row) out.push(row);
      }
      return out;
    }
    if (table.hasIndex(hint.field.name)) {
      const ids = new Set<string>();
      for (const v of hint.values) for (const id of table.lookup(hint.field, v)) ids.add(id);
      const out: StoredRecord[] = [];
      for (const id of ids) {
        const row = table.rows.get(id);
        if (row) out.push(row);
      }
      // Indexes hold live rows only; queryAll must still see deleted ones, so scan instead.
      if (!ctx.includeDeleted) return out;
    }
  }
  return undefined;
}
