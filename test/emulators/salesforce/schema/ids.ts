// Salesforce record ids: a 3-character key prefix naming the object, a 12-character body, and (in the
// 18-character form every API returns) a 3-character suffix that makes the id safe for
// case-insensitive systems. The suffix encodes, for each 5-character chunk of the 15-character id,
// which characters are upper case.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) flags |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[flags];
  }
  return suffix;
}

const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * The canonical 18-character id for a 15- or 18-character input, or undefined when the input is not
 * an id. An 18-character id whose suffix does not match its body is rejected; the suffix itself is
 * compared case-insensitively, as Salesforce does.
 */
export function normalizeId(value: string): string | undefined {
  if (!ID_SHAPE.test(value)) return undefined;
  const body = value.slice(0, 15);
  const suffix = caseSafeSuffix(body);
  if (value.length === 18 && value.slice(15).toUpperCase() !== suffix) return undefined;
  return body + suffix;
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}

/** A 9-character base-62 counter body, left-padded with zeros. */
function base62(n: number, width: number): string {
  let out = '';
  let rest = n;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/**
 * Issues ids like a real org: key prefix, a 2-character instance/pod marker, a reserved `0`, then a
 * counter. Deterministic for a given sequence of calls, so a reset org gets the same ids again.
 */
export class IdFactory {
  private counter = 0;

  constructor(
    private readonly podMarker = '5g',
    private readonly start = 0x3a7f1,
  ) {
    this.counter = start;
  }

  next(keyPrefix: string): string {
    this.counter += 1;
    const body = `${keyPrefix}${this.podMarker}0${base62(this.counter, 9)}`;
    return body + caseSafeSuffix(body);
  }

  reset(): void {
    this.counter = this.start;
  }
}
