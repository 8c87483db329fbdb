import type { ResponsysEmulator } from '../index.js';

// Plain-HTTP helpers for the emulator's own tests: they speak to it the way any client would.

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = unknown>(
  url: string,
  init: {
    method?: string;
    token?: string;
    json?: unknown;
    form?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.Authorization = init.token;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    body = init.form;
  }
  const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (e.g. the application server's 404 page); tests look at `text`.
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export async function login(
  emulator: ResponsysEmulator,
  user = emulator.username,
  password = emulator.password,
) {
  const answer = await call<{ authToken: string; issuedAt: number; endPoint: string }>(
    `${emulator.url}/rest/api/v1.3/auth/token`,
    { form: new URLSearchParams({ user_name: user, password, auth_type: 'password' }).toString() },
  );
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.text}`);
  return answer.body.authToken;
}

/** A connected client for one emulator: `api('POST', '/lists/X/members', body)` under /rest/api/v1.3. */
export async function client(emulator: ResponsysEmulator) {
  const token = await login(emulator);
  const api = <T = unknown>(method: string, path: string, json?: unknown) =>
    call<T>(`${emulator.url}/rest/api/v1.3${path}`, { method, token, json });
  return { token, api };
}

export type MergeAnswer = {
  recordData: { fieldNames: string[]; records: string[][]; mapTemplateName: null };
  mergeRule: Record<string, unknown>;
  links: Array<{ rel: string; href: string; method: string }>;
};

export type RetrieveAnswer = {
  recordData: { fieldNames: string[]; records: Array<Array<string | null>>; mapTemplateName: null };
  mergeRule: Record<string, unknown>;
};

export function mergeBody(
  fieldNames: string[],
  records: Array<Array<string | null>>,
  mergeRule: Record<string, unknown> = {},
) {
  return {
    recordData: { fieldNames, records, mapTemplateName: null },
    mergeRule: {
      htmlValue: 'H',
      textValue: 'T',
      optinValue: 'I',
      optoutValue: 'O',
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      matchColumnName1: 'EMAIL_ADDRESS_',
      defaultPermissionStatus: 'OPTIN',
      ...mergeRule,
    },
  };
}

/** Reads a member as a column → value object (fs=all). */
export async function memberByEmail(
  api: Awaited<ReturnType<typeof client>>['api'],
  email: string,
  list = 'CONTACTS_LIST',
): Promise<Record<string, string | null>> {
  const answer = await api<RetrieveAnswer>(
    'GET',
    `/lists/${list}/members?qa=e&id=${encodeURIComponent(email)}&fs=all`,
  );
  if (answer.status !== 200) throw new Error(`no member ${email}: ${answer.status} ${answer.text}`);
  const { fieldNames, records } = answer.body.recordData;
  return Object.fromEntries(fieldNames.map((name, i) => [name, records[0]![i] ?? null]));
}
