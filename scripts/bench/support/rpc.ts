import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A child process the benchmark talks to over Node's IPC channel: `call(method, params)` on this side,
// a table of handlers on the other (`serveRpc`). Children run TypeScript through tsx's loader inside
// one node process (not the tsx CLI, which would add a wrapper process), so their pid is the process
// whose memory is measured.

interface Request {
  id: number;
  method: string;
  params: unknown;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

export interface RpcChild {
  readonly process: ChildProcess;
  readonly pid: number;
  call<T>(method: string, params?: unknown): Promise<T>;
  close(): Promise<void>;
}

export function forkTs(
  modulePath: string | URL,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): ChildProcess {
  const path = modulePath instanceof URL ? fileURLToPath(modulePath) : modulePath;
  return fork(path, options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export async function startRpcChild(
  modulePath: string | URL,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Promise<RpcChild> {
  const child = forkTs(modulePath, options);
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: Reply | { ready: true }) => {
    if ('ready' in message) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if ('error' in message) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited with code ${code}`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean }) => {
      if (message.ready) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with code ${code} before it was ready`)));
  });
  return {
    process: child,
    pid: child.pid!,
    call<T>(method: string, params?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, params } satisfies Request);
      });
    },
    async close() {
      if (child.exitCode === null) {
        child.send({ id: 0, method: '__exit', params: null });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** The child side: answers calls with the handlers, exits on `__exit` after `onExit`. */
export function serveRpc(
  handlers: Record<string, (params: never) => unknown>,
  onExit: () => Promise<void>,
): void {
  process.on('message', (message: Request) => {
    void (async () => {
      if (message.method === '__exit') {
        await onExit().catch(() => undefined);
        process.exit(0);
      }
      const handler = handlers[message.method];
      try {
        if (!handler) throw new Error(`no handler for ${message.method}`);
        const result = await handler(message.params as never);
        process.send!({ id: message.id, result: result ?? null } satisfies Reply);
      } catch (error) {
        process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  // The benchmark ended without saying goodbye (it crashed): do not outlive it.
  process.once('disconnect', () => {
    void onExit()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  });
  process.send!({ ready: true });
}
