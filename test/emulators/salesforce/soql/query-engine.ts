import type { FunctionExp, HavingClause, Query } from 'soql-parser-js';
import type { EmulatorClock } from '../clock.js';
import type { DataStore } from '../data/store.js';
import { compareValues, restDateTime, toRestValue } from '../data/values.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import {
  isNumericType,
  type ComputedValue,
  type FieldDef,
  type FieldValue,
  type ObjectDef,
  type StoredRecord,
} from '../schema/types.js';
import {
  QueryCompiler,
  readField,
  RecordsPlanBuilder,
  type ExecContext,
  type RecordsPlan,
  type SelectNode,
} from './compile.js';
import { parseSoql, SoqlError } from './parse.js';

// Runs SOQL: record queries (with parent fields, child subqueries, TYPEOF), COUNT() and aggregate
// queries with GROUP BY / HAVING. Results are row snapshots, projected on demand to the REST JSON
// shape or to Bulk API CSV cells, so a 100,000-row result pages without being copied.

type AggregateFn = 'COUNT' | 'COUNT_DISTINCT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

interface AggregateItem {
  key: string;
  kind: 'group' | 'agg';
  hidden: boolean;
  fn?: AggregateFn;
  field?: FieldDef;
  get?: (row: StoredRecord, ctx: ExecContext) => ComputedValue;
  raw: string;
}

export interface QueryResult {
  kind: 'records' | 'count' | 'aggregate';
  object: ObjectDef;
  totalSize: number;
  rows: StoredRecord[];
  /** REST JSON for one row of this result. */
  toRest(row: StoredRecord, version: string): Record<string, unknown>;
  /** Bulk API CSV: header cells, and per column what a row holds in it. */
  csvHeader: string[];
  csvColumns: Array<(row: StoredRecord) => ComputedValue>;
}

export interface QueryOptions {
  includeDeleted: boolean;
  userId: string;
  /** Bulk API 2.0 query jobs reject what they cannot export. */
  bulk?: boolean;
}

export interface PreparedQuery {
  soql: string;
  object: ObjectDef;
  kind: QueryResult['kind'];
  run(options: QueryOptions): QueryResult;
}

function isAggregateFn(name: string | undefined): name is AggregateFn {
  return ['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX'].includes((name ?? '').toUpperCase());
}

export class QueryEngine {
  constructor(
    private readonly catalog: SchemaCatalog,
    private readonly store: DataStore,
    private readonly clock: EmulatorClock,
  ) {}

  prepare(soql: string, options: { bulk?: boolean } = {}): PreparedQuery {
    const query = parseSoql(soql);
    const compiler = new QueryCompiler(this.catalog, soql);
    const object = compiler.object(query.sObject ?? '');
    const fields = query.fields ?? [];
    const aggregates = fields.filter(
      (f) => f.type === 'FieldFunctionExpression' && isAggregateFn(f.functionName),
    );
    const grouped = query.groupBy !== undefined;
    const isCount =
      fields.length === 1 &&
      fields[0]!.type === 'FieldFunctionExpression' &&
      fields[0]!.functionName.toUpperCase() === 'COUNT' &&
      fields[0]!.parameters.length === 0;
    if (options.bulk) this.checkBulkSupport(compiler, query, aggregates.length > 0 || grouped || isCount);
    if (isCount && !grouped) {
      if (query.orderBy) throw compiler.fail('MALFORMED_QUERY', 'ORDER', 'unexpected token: ORDER');
      const plan = new RecordsPlanBuilder(compiler).build(
        object,
        { ...query, fields: [{ type: 'Field', field: 'Id' }] },
        undefined,
      );
      return {
        soql,
        object,
        kind: 'count',
        run: (opts) => {
          const rows = plan.rows(this.context(opts));
          return this.result('count', object, rows.length, [], plan, opts);
        },
      };
    }
    if (aggregates.length || grouped) {
      if (
        fields.some(
          (f) =>
            f.type === 'FieldFunctionExpression' &&
            f.functionName.toUpperCase() === 'COUNT' &&
            f.parameters.length === 0,
        )
      ) {
        throw compiler.fail(
          'MALFORMED_QUERY',
          'COUNT',
          'COUNT() and COUNT(fieldName) cannot be combined with other fields',
        );
      }
      return this.prepareAggregate(compiler, object, query, soql);
    }
    const plan = new RecordsPlanBuilder(compiler).build(object, query, undefined);
    return {
      soql,
      object,
      kind: 'records',
      run: (opts) => {
        const rows = plan.rows(this.context(opts));
        return this.result('records', object, rows.length, rows, plan, opts);
      },
    };
  }

  query(soql: string, options: QueryOptions): QueryResult {
    return this.prepare(soql, { bulk: options.bulk }).run(options);
  }

  private context(options: QueryOptions): ExecContext {
    return {
      store: this.store,
      catalog: this.catalog,
      nowMs: this.clock.nowMs(),
      userId: options.userId,
      includeDeleted: options.includeDeleted,
    };
  }

  private checkBulkSupport(compiler: QueryCompiler, query: Query, aggregate: boolean): void {
    const unsupported = (what: string) =>
      new SoqlError('FEATURENOTENABLED', `${what} not supported in Bulk Query`);
    if (aggregate) throw unsupported('Aggregate queries are');
    if (query.offset !== undefined) throw unsupported('OFFSET is');
    for (const f of query.fields ?? []) {
      if (f.type === 'FieldSubquery') throw unsupported('Aggregate Relationships are');
      if (f.type === 'FieldTypeof') throw unsupported('TYPEOF is');
    }
    const object = compiler.object(query.sObject ?? '');
    for (const f of query.fields ?? []) {
      if (f.type === 'Field') {
        const def = compiler.path(object, f.field, query.sObjectAlias).field;
        if (def.type === 'address') throw unsupported(`Compound field ${def.name} is`);
      }
    }
  }

  private result(
    kind: QueryResult['kind'],
    object: ObjectDef,
    totalSize: number,
    rows: StoredRecord[],
    plan: RecordsPlan,
    options: QueryOptions,
  ): QueryResult {
    const ctx = this.context(options);
    const project = (row: StoredRecord, version: string) =>
      this.project(row, plan.select, version, ctx, false);
    return {
      kind,
      object,
      totalSize,
      rows,
      toRest: project,
      csvHeader: plan.columns.map((c) => c.header),
      csvColumns: plan.columns.map((column) => (row: StoredRecord) => column.get(row, ctx)),
    };
  }

  private attributes(row: StoredRecord, version: string, polymorphic: boolean): Record<string, string> {
    const object = this.catalog.objectForId(row.Id as string);
    const type = object?.name ?? 'Unknown';
    return {
      type: polymorphic ? 'Name' : type,
      url: `/services/data/v${version}/sobjects/${type}/${String(row.Id)}`,
    };
  }

  project(
    row: StoredRecord,
    nodes: SelectNode[],
    version: string,
    ctx: ExecContext,
    polymorphic: boolean,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { attributes: this.attributes(row, version, polymorphic) };
    const rowObject = this.catalog.objectForId(row.Id as string)?.name ?? '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'field': {
          if (node.pseudoType) {
            out[node.key] = rowObject;
            break;
          }
          const field = node.byObject ? node.byObject.get(rowObject) : node.field;
          out[node.key] = field ? toRestValue(field, readField(field, row, ctx.store)) : null;
          break;
        }
        case 'parent': {
          const id = row[node.ref.name];
          const parent = typeof id === 'string' && id ? ctx.store.get(id) : undefined;
          out[node.key] = parent
            ? this.project(parent, node.children, version, ctx, node.ref.referenceTo.length > 1)
            : null;
          break;
        }
        case 'subquery': {
          const children = ctx.store.children(
            node.relationship.childSObject,
            node.relationship.field,
            row.Id as string,
          );
          const rows = node.plan.rows(ctx, children);
          out[node.key] = rows.length
            ? {
                totalSize: rows.length,
                done: true,
                records: rows.map((r) => this.project(r, node.plan.select, version, ctx, false)),
              }
            : null;
          break;
        }
        case 'typeof': {
          const id = row[node.ref.name];
          const target = typeof id === 'string' && id ? ctx.store.get(id) : undefined;
          if (!target) {
            out[node.key] = null;
            break;
          }
          const targetObject = this.catalog.objectForId(target.Id as string)!.name;
          const fields = node.whens.get(targetObject) ?? node.otherwise ?? [];
          const nested: Record<string, unknown> = { attributes: this.attributes(target, version, false) };
          for (const f of fields) {
            if (f.kind !== 'field') continue;
            const def = this.catalog.field(this.catalog.object(targetObject)!, f.field.name);
            nested[f.key] = def ? toRestValue(def, readField(def, target, ctx.store)) : null;
          }
          out[node.key] = nested;
          break;
        }
      }
    }
    return out;
  }

  // ---- aggregates --------------------------------------------------------------------------

  private prepareAggregate(
    compiler: QueryCompiler,
    object: ObjectDef,
    query: Query,
    soql: string,
  ): PreparedQuery {
    const alias = query.sObjectAlias;
    const groupBy = query.groupBy ? (Array.isArray(query.groupBy) ? query.groupBy : [query.groupBy]) : [];
    const groups = groupBy.map((g) => {
      if ('field' in g && g.field) {
        const path = compiler.path(object, g.field, alias);
        if (!path.field.groupable) {
          throw compiler.fail(
            'MALFORMED_QUERY',
            g.field,
            `field '${path.field.name}' can not be grouped in a query call`,
          );
        }
        return { raw: path.canonical.toLowerCase(), get: path.get, field: path.field };
      }
      const fn = (g as { fn: FunctionExp }).fn;
      const resolved = this.fnGetter(compiler, object, fn, alias);
      return { raw: (fn.rawValue ?? '').toLowerCase(), get: resolved.get, field: resolved.field };
    });
    const items: AggregateItem[] = [];
    let exprIndex = 0;
    const aggregateItem = (fn: FunctionExp & { alias?: string }, hidden: boolean): AggregateItem => {
      const name = (fn.functionName ?? '').toUpperCase() as AggregateFn;
      const raw = (fn.rawValue ?? '').replace(/\s+/g, '').toLowerCase();
      const existing = items.find((i) => i.kind === 'agg' && i.raw === raw);
      if (existing && hidden) return existing;
      const param = fn.parameters?.[0];
      let field: FieldDef | undefined;
      let get: AggregateItem['get'];
      if (param !== undefined) {
        const path = compiler.path(object, String(param), alias);
        field = path.field;
        get = path.get;
        if ((name === 'SUM' || name === 'AVG') && !isNumericType(field.type)) {
          throw compiler.fail(
            'MALFORMED_QUERY',
            String(param),
            `field ${field.name} does not support aggregate operator ${name}`,
          );
        }
      }
      const key = hidden ? `\u0000${raw}` : (fn.alias ?? `expr${exprIndex++}`);
      const item: AggregateItem = { key, kind: 'agg', hidden, fn: name, field, get, raw };
      items.push(item);
      return item;
    };
    for (const f of query.fields ?? []) {
      if (f.type === 'FieldFunctionExpression' && isAggregateFn(f.functionName)) {
        aggregateItem(f, false);
        continue;
      }
      if (f.type === 'Field' || f.type === 'FieldRelationship') {
        const dotted = f.type === 'Field' ? f.field : [...f.relationships, f.field].join('.');
        const path = compiler.path(object, dotted, alias);
        const group = groups.findIndex((g) => g.raw === path.canonical.toLowerCase());
        if (group < 0)
          throw compiler.fail(
            'MALFORMED_QUERY',
            dotted,
            `Field must be grouped or aggregated: ${path.canonical}`,
          );
        items.push({
          key: (f as { alias?: string }).alias ?? path.field.name,
          kind: 'group',
          hidden: false,
          field: path.field,
          get: groups[group]!.get,
          raw: path.canonical.toLowerCase(),
        });
        continue;
      }
      if (f.type === 'FieldFunctionExpression') {
        const raw = (f.rawValue ?? '').toLowerCase();
        const group = groups.find((g) => g.raw === raw);
        if (!group)
          throw compiler.fail(
            'MALFORMED_QUERY',
            f.functionName,
            `Field must be grouped or aggregated: ${f.rawValue ?? ''}`,
          );
        items.push({
          key: f.alias ?? `expr${exprIndex++}`,
          kind: 'group',
          hidden: false,
          field: group.field,
          get: group.get,
          raw,
        });
        continue;
      }
      throw compiler.fail('MALFORMED_QUERY', 'SELECT', 'unexpected token: SELECT');
    }
    const having = this.havingPredicate(compiler, query.having, (fn) => aggregateItem(fn, true), groups);
    const orderBy = query.orderBy ? (Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy]) : [];
    const orderKeys = orderBy.map((o) => {
      const desc = o.order === 'DESC';
      const nullsFirst = o.nulls ? o.nulls === 'FIRST' : !desc;
      if ('fn' in o && o.fn) return { key: aggregateItem(o.fn, true).key, desc, nullsFirst };
      const path = compiler.path(object, (o as { field: string }).field, alias);
      const item = items.find((i) => i.kind === 'group' && i.raw === path.canonical.toLowerCase());
      if (!item)
        throw compiler.fail(
          'MALFORMED_QUERY',
          (o as { field: string }).field,
          `Ordered field must be grouped or aggregated: ${path.canonical}`,
        );
      return { key: item.key, desc, nullsFirst };
    });
    const where = compiler.where(object, query.where, alias);
    if (query.offset !== undefined && query.offset > 2000) {
      throw new SoqlError('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
    }
    return {
      soql,
      object,
      kind: 'aggregate',
      run: (opts) => {
        const ctx = this.context(opts);
        const buckets = new Map<string, { group: ComputedValue[]; acc: Map<AggregateItem, Accumulator> }>();
        for (const row of ctx.store.table(object.name).rows.values()) {
          if (!ctx.includeDeleted && row.IsDeleted === true) continue;
          if (where && !where(row, ctx)) continue;
          const groupValues = groups.map((g) => g.get(row, ctx));
          const bucketKey = JSON.stringify(
            groupValues.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)),
          );
          let bucket = buckets.get(bucketKey);
          if (!bucket) {
            bucket = { group: groupValues, acc: new Map() };
            buckets.set(bucketKey, bucket);
          }
          for (const item of items) {
            if (item.kind !== 'agg') continue;
            let acc = bucket.acc.get(item);
            if (!acc) bucket.acc.set(item, (acc = newAccumulator()));
            accumulate(acc, item, item.get ? item.get(row, ctx) : true);
          }
        }
        if (!groups.length && buckets.size === 0) buckets.set('[]', { group: [], acc: new Map() });
        let rows: StoredRecord[] = [];
        for (const bucket of buckets.values()) {
          const out: StoredRecord = {};
          for (const item of items) {
            if (item.kind === 'group') {
              const index = groups.findIndex((g) => g.raw === item.raw);
              out[item.key] = (bucket.group[index] ?? null) as FieldValue;
            } else {
              out[item.key] = finish(bucket.acc.get(item) ?? newAccumulator(), item);
            }
          }
          if (having && !having(out, bucket.group)) continue;
          rows.push(out);
        }
        if (orderKeys.length) {
          rows.sort((a, b) => {
            for (const k of orderKeys) {
              const va = a[k.key] ?? null;
              const vb = b[k.key] ?? null;
              if (va === null && vb === null) continue;
              if (va === null) return k.nullsFirst ? -1 : 1;
              if (vb === null) return k.nullsFirst ? 1 : -1;
              const c = compareValues(va, vb);
              if (c !== 0) return k.desc ? -c : c;
            }
            return 0;
          });
        }
        if (query.offset) rows = rows.slice(query.offset);
        if (query.limit !== undefined) rows = rows.slice(0, query.limit);
        const visible = items.filter((i) => !i.hidden);
        return {
          kind: 'aggregate',
          object,
          totalSize: rows.length,
          rows,
          toRest: (row) => {
            const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
            for (const item of visible) {
              const value = row[item.key] ?? null;
              const isDateTime =
                item.field?.type === 'datetime' && item.fn !== 'COUNT' && item.fn !== 'COUNT_DISTINCT';
              out[item.key] = isDateTime && typeof value === 'string' ? restDateTime(value) : value;
            }
            return out;
          },
          csvHeader: visible.map((i) => i.key),
          csvColumns: visible.map((item) => (row: StoredRecord) => row[item.key] ?? null),
        };
      },
    };
  }

  private fnGetter(compiler: QueryCompiler, object: ObjectDef, fn: FunctionExp, alias?: string) {
    const name = (fn.functionName ?? '').toUpperCase();
    const path = compiler.path(object, String(fn.parameters?.[0] ?? ''), alias);
    const toDate = (v: ComputedValue) =>
      typeof v === 'string' ? new Date(path.field.type === 'date' ? `${v}T00:00:00Z` : v) : undefined;
    const extract: Record<string, (d: Date) => FieldValue> = {
      CALENDAR_YEAR: (d) => d.getUTCFullYear(),
      FISCAL_YEAR: (d) => d.getUTCFullYear(),
      CALENDAR_MONTH: (d) => d.getUTCMonth() + 1,
      FISCAL_MONTH: (d) => d.getUTCMonth() + 1,
      CALENDAR_QUARTER: (d) => Math.floor(d.getUTCMonth() / 3) + 1,
      FISCAL_QUARTER: (d) => Math.floor(d.getUTCMonth() / 3) + 1,
      DAY_IN_MONTH: (d) => d.getUTCDate(),
      DAY_IN_WEEK: (d) => d.getUTCDay() + 1,
      HOUR_IN_DAY: (d) => d.getUTCHours(),
      DAY_ONLY: (d) => d.toISOString().slice(0, 10),
    };
    const fnImpl = extract[name];
    if (!fnImpl)
      throw compiler.fail(
        'MALFORMED_QUERY',
        fn.functionName ?? '',
        `unexpected token: ${fn.functionName ?? ''}`,
      );
    return {
      field: {
        ...path.field,
        type: name === 'DAY_ONLY' ? ('date' as const) : ('int' as const),
        compute: undefined,
      },
      get: (row: StoredRecord, ctx: ExecContext) => {
        const d = toDate(path.get(row, ctx));
        return d ? fnImpl(d) : null;
      },
    };
  }

  /** HAVING over aggregate rows: a chain of comparisons joined by AND / OR. */
  private havingPredicate(
    compiler: QueryCompiler,
    having: HavingClause | undefined,
    aggregate: (fn: FunctionExp) => AggregateItem,
    groups: Array<{ raw: string }>,
  ): ((row: StoredRecord, group: ComputedValue[]) => boolean) | undefined {
    if (!having) return undefined;
    const tests: Array<{
      op: string | undefined;
      test: (row: StoredRecord, group: ComputedValue[]) => boolean;
    }> = [];
    let node: HavingClause | undefined = having;
    let joiner: string | undefined;
    while (node) {
      const left = node.left as {
        fn?: FunctionExp;
        field?: string;
        operator: string;
        value: string | string[];
        literalType?: string;
      };
      const raw = Array.isArray(left.value) ? left.value[0]! : left.value;
      const literal: FieldValue =
        left.literalType === 'STRING' ? raw.slice(1, -1) : left.literalType === 'NULL' ? null : Number(raw);
      let read: (row: StoredRecord, group: ComputedValue[]) => ComputedValue;
      if (left.fn) {
        const item = aggregate(left.fn);
        read = (row) => row[item.key] ?? null;
      } else {
        const index = groups.findIndex((g) => g.raw === (left.field ?? '').toLowerCase());
        if (index < 0)
          throw compiler.fail(
            'MALFORMED_QUERY',
            left.field ?? '',
            `Field must be grouped or aggregated: ${left.field ?? ''}`,
          );
        read = (_row, group) => group[index] ?? null;
      }
      const op = left.operator;
      tests.push({
        op: joiner,
        test: (row, group) => {
          const v = read(row, group);
          if (v === null || typeof v === 'object' || literal === null)
            return op === '=' ? v === literal : op === '!=' ? v !== literal : false;
          const c = compareValues(v, literal);
          return op === '='
            ? c === 0
            : op === '!='
              ? c !== 0
              : op === '<'
                ? c < 0
                : op === '<='
                  ? c <= 0
                  : op === '>'
                    ? c > 0
                    : c >= 0;
        },
      });
      joiner = 'operator' in node ? (node.operator as string | undefined) : undefined;
      node = 'right' in node ? (node.right as HavingClause | undefined) : undefined;
    }
    return (row, group) => {
      let result = tests[0]!.test(row, group);
      for (const t of tests.slice(1))
        result = t.op === 'OR' ? result || t.test(row, group) : result && t.test(row, group);
      return result;
    };
  }
}

interface Accumulator {
  count: number;
  sum: number;
  min: FieldValue;
  max: FieldValue;
  distinct: Set<string>;
}

function newAccumulator(): Accumulator {
  return { count: 0, sum: 0, min: null, max: null, distinct: new Set() };
}

function accumulate(acc: Accumulator, item: AggregateItem, value: ComputedValue): void {
  if (value === null || typeof value === 'object') return;
  acc.count += 1;
  if (typeof value === 'number') acc.sum += value;
  if (item.fn === 'COUNT_DISTINCT')
    acc.distinct.add(typeof value === 'string' ? value.toLowerCase() : String(value));
  if (acc.min === null || compareValues(value, acc.min) < 0) acc.min = value;
  if (acc.max === null || compareValues(value, acc.max) > 0) acc.max = value;
}

function finish(acc: Accumulator, item: AggregateItem): FieldValue {
  switch (item.fn) {
    case 'COUNT':
      return acc.count;
    case 'COUNT_DISTINCT':
      return acc.distinct.size;
    case 'SUM':
      return acc.count ? acc.sum : null;
    case 'AVG':
      return acc.count ? acc.sum / acc.count : null;
    case 'MIN':
      return acc.min;
    case 'MAX':
      return acc.max;
    default:
      return null;
  }
}
