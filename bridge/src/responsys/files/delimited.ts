// Delimited text as Responsys Connect writes it: one record per line (Connect replaces line breaks
// inside values with spaces), a delimiter chosen per export job (comma, semicolon, tab or pipe),
// values optionally quoted with `"` and a doubled `""` inside quotes. A quoted value that still spans
// lines is accepted too (the caller joins lines until the quotes balance).

export const connectDelimiters = [',', ';', '\t', '|'] as const;
export type ConnectDelimiter = (typeof connectDelimiters)[number];

export type RecordParse = { complete: true; values: string[] } | { complete: false };

/**
 * Splits one record. `complete: false` means a quoted value is still open at the end of `text` (the
 * record continues on the next line).
 */
export function parseDelimitedRecord(text: string, delimiter: string): RecordParse {
  const values: string[] = [];
  let value = '';
  let quoted = false;
  let i = 0;
  let atValueStart = true;
  while (i < text.length) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          value += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      value += char;
      i += 1;
      continue;
    }
    if (char === '"' && atValueStart) {
      quoted = true;
      atValueStart = false;
      i += 1;
      continue;
    }
    if (text.startsWith(delimiter, i)) {
      values.push(value);
      value = '';
      atValueStart = true;
      i += delimiter.length;
      continue;
    }
    value += char;
    atValueStart = false;
    i += 1;
  }
  if (quoted) return { complete: false };
  values.push(value);
  return { complete: true, values };
}

/**
 * The delimiter of a header line: the candidate that splits it into the most non-empty names
 * (ties favour the order comma, semicolon, tab, pipe). A single-column file reads as comma.
 */
export function detectDelimiter(headerLine: string): ConnectDelimiter {
  let best: ConnectDelimiter = ',';
  let bestCount = 1;
  for (const delimiter of connectDelimiters) {
    const parsed = parseDelimitedRecord(headerLine, delimiter);
    if (!parsed.complete) continue;
    const count = parsed.values.filter((value) => value.trim() !== '').length;
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

/** Column names as Connect writes them (upper case, no spaces); compared case-insensitively. */
export function normaliseColumnName(name: string): string {
  return name.trim().toUpperCase();
}

/**
 * Whether a first line is a header row: every value looks like a column name and at least one
 * of `knownColumns` is among them. Data rows start with numbers (EVENT_TYPE_ID, ACCOUNT_ID, RIID).
 */
export function looksLikeHeader(values: readonly string[], knownColumns: readonly string[]): boolean {
  if (values.length === 0) return false;
  const names = values.map(normaliseColumnName);
  if (!names.every((name) => /^[A-Z][A-Z0-9_$#]*$/.test(name))) return false;
  const known = new Set(knownColumns.map(normaliseColumnName));
  return known.size === 0 || names.some((name) => known.has(name));
}
