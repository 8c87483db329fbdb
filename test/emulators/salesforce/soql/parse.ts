import soqlParser, { type Query } from 'soql-parser-js';
import { ApiError } from '../errors.js';

// Parsing SOQL and reporting errors the way the API does: the offending line of the query, a caret
// under the position, `ERROR at Row:r:Column:c` and the reason, e.g.
// "\nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' ...".

const { parseQuery } = soqlParser;

export class SoqlError extends ApiError {
  constructor(errorCode: string, message: string) {
    super(400, [{ message, errorCode }]);
  }
}

/** The index of `token` in the query (whole word, case-insensitive), searching from `from`. */
export function locate(soql: string, token: string, from = 0): number {
  if (!token) return -1;
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[^A-Za-z0-9_.])(${escaped})(?![A-Za-z0-9_])`, 'ig');
  re.lastIndex = from;
  const m = re.exec(soql);
  return m ? m.index + m[1]!.length : -1;
}

/** A SOQL error with the caret display; `index` is a character offset into the query (or -1). */
export function soqlError(errorCode: string, soql: string, index: number, reason: string): SoqlError {
  if (index < 0) return new SoqlError(errorCode, reason);
  const before = soql.slice(0, index);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = soql.indexOf('\n', index);
  const line = soql.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const column = index - lineStart + 1;
  return new SoqlError(
    errorCode,
    `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${reason}`,
  );
}

export function parseSoql(soql: string): Query {
  if (!soql.trim()) throw new SoqlError('MALFORMED_QUERY', 'unexpected token: <EOF>');
  try {
    // ignoreParseErrors must be given: soql-parser-js builds a new parser (~50 ms of grammar analysis)
    // on every call whose option differs from its current parser's, and undefined always differs.
    return parseQuery(soql, { allowApexBindVariables: false, logErrors: false, ignoreParseErrors: false });
  } catch (error) {
    const text = (error as Error).message ?? '';
    const found =
      /but found:? '([^']*)'/.exec(text)?.[1] ??
      /but found --> '([^']*)' <--/.exec(text)?.[1] ??
      /unexpected character: ->(.)<-/.exec(text)?.[1] ??
      '';
    if (!found) return throwAt(soql, soql.trimEnd().length, 'unexpected token: <EOF>');
    const index = soql.indexOf(found);
    return throwAt(soql, index, `unexpected token: ${found}`);
  }
}

function throwAt(soql: string, index: number, reason: string): never {
  throw soqlError('MALFORMED_QUERY', soql, index, reason);
}
