import type { Router } from 'express';

// Where other parts of the bridge add HTTP routes (webhooks, flow triggers) without touching the
// server: admin routes are served under /api/v1 behind the admin token with JSON bodies parsed;
// public routes (webhook receivers) are served as they are and authenticate their own callers.

export interface MountedRouter {
  path: string;
  router: Router;
}

const reserved = ['/healthz', '/readyz', '/metrics', '/api'];

function checkPath(path: string): void {
  if (!/^\/[\w\-/.:]*$/.test(path))
    throw new Error(`Route path "${path}" must start with / and be a plain path`);
}

export class RouteRegistry {
  private readonly adminRouters: MountedRouter[] = [];
  private readonly publicRouters: MountedRouter[] = [];
  private sealed = false;

  /** Served at /api/v1<path>, behind `Authorization: Bearer <BRIDGE_ADMIN_TOKEN>`, JSON bodies parsed. */
  mountAdmin(path: string, router: Router): void {
    this.assertOpen();
    checkPath(path);
    this.adminRouters.push({ path, router });
  }

  /** Served at <path> with no authentication or body parsing: the router does both itself. */
  mountPublic(path: string, router: Router): void {
    this.assertOpen();
    checkPath(path);
    if (reserved.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
      throw new Error(`Route path "${path}" is reserved by the bridge`);
    }
    this.publicRouters.push({ path, router });
  }

  private assertOpen(): void {
    if (this.sealed) throw new Error('Routes are mounted while modules register, before the server starts');
  }

  /** Called by the server when it starts; later mounts are refused. */
  seal(): { admin: MountedRouter[]; public: MountedRouter[] } {
    this.sealed = true;
    return { admin: [...this.adminRouters], public: [...this.publicRouters] };
  }
}
