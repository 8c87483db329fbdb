// `npm run preview`: builds the engagement timeline preview and serves it. The server is a small
// static file server, exported so the browser test can run it on port 0.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPreview, defaultOutDir } from './build.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

export interface PreviewServerOptions {
  /** The built site; default scripts/preview/dist. */
  root?: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface PreviewServer {
  url: string;
  close(): Promise<void>;
}

async function resolveFile(root: string, requestUrl: string): Promise<string | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl, 'http://preview.local').pathname);
  } catch {
    return undefined;
  }
  const candidate = path.resolve(root, `.${pathname}`);
  if (candidate !== root && !candidate.startsWith(root + path.sep)) {
    return undefined;
  }
  try {
    const info = await stat(candidate);
    if (info.isDirectory()) {
      const index = path.join(candidate, 'index.html');
      return (await stat(index)).isFile() ? index : undefined;
    }
    return info.isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

export async function startPreviewServer(options: PreviewServerOptions = {}): Promise<PreviewServer> {
  const root = path.resolve(options.root ?? defaultOutDir);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'Method not allowed');
      return;
    }
    resolveFile(root, request.url ?? '/').then(
      (file) => {
        if (!file) {
          send(response, 404, 'Not found');
          return;
        }
        response.writeHead(200, {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
        });
        if (request.method === 'HEAD') {
          response.end();
          return;
        }
        createReadStream(file)
          .on('error', () => response.destroy())
          .pipe(response);
      },
      () => send(response, 500, 'Could not read the file'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4173, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function portFromEnvironment(): number {
  const raw = process.env.PREVIEW_PORT;
  if (raw === undefined || raw === '') {
    return 4173;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PREVIEW_PORT must be a port number between 0 and 65535, not "${raw}".`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = portFromEnvironment();
  const started = Date.now();
  const { outDir } = await buildPreview();
  console.log(
    `Built the engagement timeline preview into ${path.relative(process.cwd(), outDir)} in ${Date.now() - started} ms`,
  );
  const server = await startPreviewServer({ root: outDir, port });
  console.log(`Engagement timeline preview: ${server.url}`);
  console.log(
    `Scenarios: ${server.url}?scenario=opted-out, ?scenario=sync-failed, ?scenario=empty, ?scenario=error`,
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
