import { createWriteStream, type WriteStream } from 'node:fs';
import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

// A transparent HTTP proxy in front of the Responsys emulator, for measurements the emulator does not
// offer: it writes every merge request body to a file (so the floor can replay exactly the requests
// the bridge sent) and notes when each recipient's merge was accepted (for end-to-end latency). The
// login answer's endPoint is rewritten to the proxy, as a gateway in front of Responsys would be.

const LIST_MERGE = /^\/rest\/api\/v1\.3\/lists\/[^/]+\/members$/;
const PET_MERGE = /^\/rest\/api\/v1\.3\/lists\/[^/]+\/listExtensions\/[^/]+\/members$/;
const LOGIN = /^\/rest\/api\/v1\.3\/auth\/token$/;

export interface CapturedMerge {
  path: string;
  body: string;
}

export class RecordingProxy {
  readonly server: Server;
  url = '';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private capture: WriteStream | undefined;
  private captured = 0;
  /** CUSTOMER_ID_ -> when its list merge was first accepted (ms since epoch) */
  private readonly accepted = new Map<string, number>();
  private trackAcceptance = false;

  constructor(private readonly target: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.forward(req, Buffer.concat(chunks), res));
    });
    this.server.keepAliveTimeout = 65_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Starts writing merge request bodies to `file`, one JSON line each. */
  startCapture(file: string): void {
    this.capture = createWriteStream(file);
    this.captured = 0;
  }

  async stopCapture(): Promise<number> {
    const stream = this.capture;
    this.capture = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
    return this.captured;
  }

  trackAcceptances(on: boolean): void {
    this.trackAcceptance = on;
    this.accepted.clear();
  }

  acceptances(): Record<string, number> {
    return Object.fromEntries(this.accepted);
  }

  async close(): Promise<void> {
    await this.stopCapture();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const isListMerge =
      req.method === 'POST' && LIST_MERGE.test(path) && !(req.url ?? '').includes('action=');
    const isMerge = isListMerge || (req.method === 'POST' && PET_MERGE.test(path));
    if (isMerge && this.capture) {
      this.capture.write(`${JSON.stringify({ path: req.url, body: body.toString('utf8') })}\n`);
      this.captured += 1;
    }
    const upstream = request(
      `${this.target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(this.target).host }, agent: this.agent },
      (answer) => {
        if (LOGIN.test(path)) {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            let text = Buffer.concat(parts).toString('utf8');
            text = text.replace(/"endPoint"\s*:\s*"[^"]*"/, `"endPoint":"${this.url}"`);
            const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(text);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        if (isListMerge && this.trackAcceptance && answer.statusCode === 200) {
          answer.on('end', () => this.noteAcceptance(body));
        }
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${error.message}`);
    });
    upstream.end(body);
  }

  private noteAcceptance(body: Buffer): void {
    const now = Date.now();
    try {
      const parsed = JSON.parse(body.toString('utf8')) as {
        recordData?: { fieldNames?: string[]; records?: Array<Array<string | null>> };
      };
      const fields = parsed.recordData?.fieldNames ?? [];
      const index = fields.findIndex((name) => name.toUpperCase() === 'CUSTOMER_ID_');
      if (index < 0) return;
      for (const record of parsed.recordData?.records ?? []) {
        const id = record[index];
        if (id && !this.accepted.has(id)) this.accepted.set(id, now);
      }
    } catch {
      // not a merge body the proxy understands; nothing to note
    }
  }
}
