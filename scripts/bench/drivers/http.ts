import { Agent, request } from 'node:http';

// Plain HTTP for the benchmark's own drivers (the floor and the per-record baseline), with a
// keep-alive agent: they stand for "the least any client must do", so they use no bridge code.

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

export interface HttpAnswer {
  status: number;
  body: string;
}

export function send(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: string },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A Responsys token (password login). */
export async function responsysLogin(url: string, username: string, password: string): Promise<string> {
  const answer = await send(`${url}/rest/api/v1.3/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_name: username, password, auth_type: 'password' }).toString(),
  });
  if (answer.status !== 200) throw new Error(`Responsys login answered ${answer.status}: ${answer.body}`);
  return (JSON.parse(answer.body) as { authToken: string }).authToken;
}

/** A Salesforce session (OAuth username-password flow of the connected app). */
export async function salesforceLogin(
  url: string,
  credentials: { clientId: string; clientSecret: string; username: string; password: string },
): Promise<{ accessToken: string; instanceUrl: string }> {
  const answer = await send(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      username: credentials.username,
      password: credentials.password,
    }).toString(),
  });
  if (answer.status !== 200) throw new Error(`Salesforce login answered ${answer.status}: ${answer.body}`);
  const token = JSON.parse(answer.body) as { access_token: string; instance_url: string };
  return { accessToken: token.access_token, instanceUrl: token.instance_url };
}

export function closeDriverConnections(): void {
  agent.destroy();
}
