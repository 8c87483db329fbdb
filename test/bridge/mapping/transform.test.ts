import { describe, expect, it } from 'vitest';
import { Transform, TransformSyntaxError } from '../../../bridge/src/mapping/transform.js';

// The Transform__c grammar (CONTRACTS.md section 6): every step outbound, the inverse inbound, and a
// clear syntax error for every malformed expression.

const out = (expression: string, value: Parameters<Transform['outbound']>[0]) =>
  Transform.parse(expression).outbound(value);
const back = (expression: string, value: string | null) => Transform.parse(expression).inbound(value);
const syntaxError = (expression: string) => {
  try {
    Transform.parse(expression);
  } catch (error) {
    if (error instanceof TransformSyntaxError) return error.message;
    throw error;
  }
  throw new Error(`"${expression}" parsed`);
};

describe('outbound steps', () => {
  it('passes values through unchanged when the expression is blank, and numbers become text', () => {
    expect(out('', ' Ann ')).toEqual({ ok: true, value: ' Ann ' });
    expect(Transform.parse(null).outbound(42)).toEqual({ ok: true, value: '42' });
    expect(out('  ', null)).toEqual({ ok: true, value: null });
  });

  it('trims, lowers and uppers, left to right', () => {
    expect(out('trim|lower', '  Ann@Example.COM ')).toEqual({ ok: true, value: 'ann@example.com' });
    expect(out('upper', 'web')).toEqual({ ok: true, value: 'WEB' });
    expect(out('lower|upper', 'MiXeD')).toEqual({ ok: true, value: 'MIXED' });
    expect(out('trim|lower', null)).toEqual({ ok: true, value: null });
  });

  it('truncates to N characters without splitting an emoji', () => {
    expect(out('truncate:5', 'Director of Sales')).toEqual({ ok: true, value: 'Direc' });
    expect(out('truncate:3', 'ab😀cd')).toEqual({ ok: true, value: 'ab😀' });
    expect(out('truncate:50', 'short')).toEqual({ ok: true, value: 'short' });
    expect(out('trim|truncate:4', '  abcdef')).toEqual({ ok: true, value: 'abcd' });
  });

  it('fills a default for null and empty values only, and the default may contain colons', () => {
    expect(out('default:NONE', null)).toEqual({ ok: true, value: 'NONE' });
    expect(out('default:NONE', '')).toEqual({ ok: true, value: 'NONE' });
    expect(out('default:NONE', 'Hot')).toEqual({ ok: true, value: 'Hot' });
    expect(out('trim|default:N/A', '   ')).toEqual({ ok: true, value: 'N/A' });
    expect(out('default:a:b', null)).toEqual({ ok: true, value: 'a:b' });
  });

  it('formats Salesforce dates and date-times as YYYY-MM-DD and YYYY-MM-DD HH:mm:ss in UTC', () => {
    expect(out('date', '2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
    expect(out('date', '2024-01-02T23:30:00.000+0000')).toEqual({ ok: true, value: '2024-01-02' });
    expect(out('date', '2024-01-02T01:00:00.000+0500')).toEqual({ ok: true, value: '2024-01-01' });
    expect(out('datetime', '2024-01-02T03:04:05.000+0000')).toEqual({
      ok: true,
      value: '2024-01-02 03:04:05',
    });
    expect(out('datetime', '2024-01-02T03:04:05Z')).toEqual({ ok: true, value: '2024-01-02 03:04:05' });
    expect(out('datetime', '2024-01-02')).toEqual({ ok: true, value: '2024-01-02 00:00:00' });
    expect(out('date', null)).toEqual({ ok: true, value: null });
  });

  it('refuses text that is not a date, and impossible dates', () => {
    expect(out('date', 'next Tuesday')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
    expect(out('date', '2023-02-29')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
    expect(out('datetime', '2024-13-01T00:00:00Z')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
  });

  it('turns booleans into T/F values, null and false both into F', () => {
    expect(out('bool:O/I', true)).toEqual({ ok: true, value: 'O' });
    expect(out('bool:O/I', false)).toEqual({ ok: true, value: 'I' });
    expect(out('bool:O/I', null)).toEqual({ ok: true, value: 'I' });
    expect(out('bool:T/F', 'TRUE')).toEqual({ ok: true, value: 'T' });
    expect(out('bool:T/F', 'maybe')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
  });

  it('maps values, uses the * fallback, and refuses an unmapped value without one', () => {
    const leadSource = 'map:Web=WEB,Phone Inquiry=PHONE,Partner Referral=PARTNER,*=OTHER';
    expect(out(leadSource, 'Phone Inquiry')).toEqual({ ok: true, value: 'PHONE' });
    expect(out(leadSource, 'Trade Show')).toEqual({ ok: true, value: 'OTHER' });
    expect(out(leadSource, null)).toEqual({ ok: true, value: null });
    const strict = out('map:Web=WEB,Phone Inquiry=PHONE', 'Trade Show');
    expect(strict).toMatchObject({ ok: false, code: 'UNMAPPED_VALUE' });
    expect(strict.ok ? '' : strict.message).toContain('"Trade Show" has no mapping');
    expect(out('map:web=WEB', 'Web')).toMatchObject({ ok: false, code: 'UNMAPPED_VALUE' });
  });

  it('lets a default feed a map, so empty values can be mapped too', () => {
    expect(out('default:Unknown|map:Unknown=UNK,Web=WEB', null)).toEqual({ ok: true, value: 'UNK' });
  });
});

describe('inbound (inverse) steps', () => {
  it('applies trim and skips lower, upper, truncate and default', () => {
    expect(back('trim|lower|truncate:3|default:X', '  Ann Smith ')).toEqual({ ok: true, value: 'Ann Smith' });
    expect(back('upper', 'web')).toEqual({ ok: true, value: 'web' });
    expect(back('default:NONE', null)).toEqual({ ok: true, value: null });
  });

  it('inverts bool: T -> true, F -> false, empty -> null, anything else is an error', () => {
    expect(back('bool:O/I', 'O')).toEqual({ ok: true, value: true });
    expect(back('bool:O/I', 'I')).toEqual({ ok: true, value: false });
    expect(back('bool:O/I', null)).toEqual({ ok: true, value: null });
    expect(back('bool:O/I', 'X')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
  });

  it('inverts map (the first source value wins when several map to one), and skips the * fallback', () => {
    const expression = 'map:Web=WEB,Website=WEB,Phone Inquiry=PHONE,*=OTHER';
    expect(back(expression, 'PHONE')).toEqual({ ok: true, value: 'Phone Inquiry' });
    expect(back(expression, 'WEB')).toEqual({ ok: true, value: 'Web' });
    expect(back(expression, 'OTHER')).toMatchObject({ ok: 'skip' });
    expect(back(expression, 'FAX')).toMatchObject({ ok: false, code: 'UNMAPPED_VALUE' });
  });

  it('applies inverse steps right to left', () => {
    expect(back('trim|map:Yes=Y,No=N', 'Y')).toEqual({ ok: true, value: 'Yes' });
    expect(back('map: Web = WEB |trim', ' WEB ')).toEqual({ ok: true, value: 'Web' });
  });

  it('turns Responsys dates back into Salesforce dates and ISO date-times', () => {
    expect(back('date', '2024-01-02')).toEqual({ ok: true, value: '2024-01-02' });
    expect(back('date', '02-JAN-2024 13:05:32')).toEqual({ ok: true, value: '2024-01-02' });
    expect(back('datetime', '2024-01-02 03:04:05')).toEqual({ ok: true, value: '2024-01-02T03:04:05.000Z' });
    expect(back('datetime', '2024-01-02 03:04:05.0')).toEqual({
      ok: true,
      value: '2024-01-02T03:04:05.000Z',
    });
    expect(back('datetime', '03-Jan-2019 13:05:32')).toEqual({ ok: true, value: '2019-01-03T13:05:32.000Z' });
    expect(back('datetime', 'soon')).toMatchObject({ ok: false, code: 'INVALID_VALUE' });
  });

  it('round-trips every default mapping transform that has an inverse', () => {
    for (const [expression, value] of [
      ['trim', 'Ann'],
      ['bool:O/I', true],
      ['map:Web=WEB,Phone Inquiry=PHONE,Partner Referral=PARTNER,*=OTHER', 'Partner Referral'],
    ] as const) {
      const sent = out(expression, value);
      expect(sent.ok).toBe(true);
      expect(back(expression, sent.ok ? sent.value : null)).toEqual({ ok: true, value });
    }
  });
});

describe('syntax errors', () => {
  it('names unknown steps and lists the known ones', () => {
    expect(syntaxError('trim|truncat:50')).toBe(
      'Transform "trim|truncat:50" is invalid: step 2 "truncat:50" is not a known step ' +
        '(known: trim, lower, upper, truncate, default, date, datetime, bool, map)',
    );
  });

  it('refuses empty steps, missing arguments and arguments where none is taken', () => {
    expect(syntaxError('trim||lower')).toContain('step 2 is empty');
    expect(syntaxError('trim|')).toContain('step 2 is empty');
    expect(syntaxError('truncate')).toContain('"truncate" needs an argument');
    expect(syntaxError('default:')).toContain('"default" needs an argument');
    expect(syntaxError('trim:5')).toContain('"trim" takes no argument');
  });

  it('refuses bad truncate lengths', () => {
    expect(syntaxError('truncate:0')).toContain('whole number of characters');
    expect(syntaxError('truncate:ten')).toContain('whole number of characters');
    expect(syntaxError('truncate:-3')).toContain('whole number of characters');
    expect(syntaxError('truncate:99999999')).toContain('from 1 to 32000');
  });

  it('refuses malformed bool and map arguments', () => {
    expect(syntaxError('bool:T')).toContain('two values separated by /');
    expect(syntaxError('bool:T/T')).toContain('two different values');
    expect(syntaxError('bool:/F')).toContain('two values separated by /');
    expect(syntaxError('map:Web')).toContain('needs the form from=to');
    expect(syntaxError('map:=WEB')).toContain('nothing before =');
    expect(syntaxError('map:Web=WEB,Web=W')).toContain('maps "Web" twice');
    expect(syntaxError('map:*=A,*=B,x=y')).toContain('two * fallbacks');
    expect(syntaxError('map:*=OTHER')).toContain('at least one from=to entry');
  });

  it('accepts step names in any case and spaces around steps', () => {
    expect(Transform.parse(' Trim | LOWER ').outbound(' X ')).toEqual({ ok: true, value: 'x' });
  });
});
