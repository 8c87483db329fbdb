import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { seededRandom, type Random } from './random.js';

// Fault injection shared by both emulators. A rule matches requests by method and path, fires for a
// number of matching requests (`times`) and/or with a probability (`rate`, drawn from a seeded PRNG so
// a test run is reproducible), and applies one fault. Generic faults (an HTTP answer, a delay, a hang,
// a dropped connection) are handled here; service-specific ones (an expired token, a lock error, a
// throttled function) are named by `type` and rendered by the emulator that owns them.

const genericFaultTypes = ['status', 'delay', 'hang', 'drop'];

export const faultSchema = z.union([
  z.object({
    type: z.literal('status'),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.object({ type: z.literal('delay'), ms: z.number().int().min(0).max(600_000) }),
  z.object({ type: z.literal('hang') }),
  z.object({ type: z.literal('drop') }),
  z.object({
    type: z
      .string()
      .min(1)
      .refine((type) => !genericFaultTypes.includes(type), 'malformed generic fault'),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type Fault = z.infer<typeof faultSchema>;

export const faultRuleSchema = z
  .object({
    method: z.string().min(1).optional(),
    path: z.string().min(1),
    times: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    fault: faultSchema,
  })
  .strict();
export type FaultRuleInput = z.infer<typeof faultRuleSchema>;

export interface FaultRule extends FaultRuleInput {
  id: number;
  fired: number;
}

/** `path` is a glob over the URL path: `*` matches within a segment, `**` across segments. */
function pathMatcher(glob: string): RegExp {
  const escaped = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

export class FaultPlan {
  private rules: Array<FaultRule & { matcher: RegExp }> = [];
  private nextId = 1;
  private random: Random;

  constructor(private seed = 1) {
    this.random = seededRandom(seed);
  }

  add(input: FaultRuleInput): FaultRule {
    const rule = { ...faultRuleSchema.parse(input), id: this.nextId++, fired: 0 };
    this.rules.push({ ...rule, matcher: pathMatcher(rule.path) });
    return rule;
  }

  /** Removes every rule and restarts the PRNG, so the same plan replays the same faults. */
  clear(seed = this.seed): void {
    this.rules = [];
    this.seed = seed;
    this.random = seededRandom(seed);
  }

  list(): FaultRule[] {
    return this.rules.map(({ matcher: _matcher, ...rule }) => rule);
  }

  /** The fault to apply to this request, if any; counts it against the rule's `times`. */
  take(method: string, path: string): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!rule.matcher.test(path)) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.fired += 1;
      return rule.fault;
    }
    return undefined;
  }
}

export type ServiceFaultRenderer = (fault: Fault, req: Request, res: Response, next: NextFunction) => void;

/**
 * Express middleware applying the plan to every request except the control API. Service-specific
 * fault types go to `renderServiceFault`; an unknown type is answered 500 so a typo in a test shows.
 */
export function faultInjection(plan: FaultPlan, renderServiceFault?: ServiceFaultRenderer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path.startsWith('/__control')) return next();
    const fault = plan.take(req.method, req.path);
    if (!fault) return next();
    switch (fault.type) {
      case 'status': {
        const f = fault as Extract<Fault, { type: 'status' }>;
        res.status(f.status).set(f.headers ?? {});
        if (f.body === undefined) res.end();
        else if (typeof f.body === 'string') res.send(f.body);
        else res.json(f.body);
        return;
      }
      case 'delay':
        setTimeout(next, (fault as Extract<Fault, { type: 'delay' }>).ms);
        return;
      case 'hang':
        // Never answers; the socket stays open until the client gives up or the server closes.
        return;
      case 'drop':
        req.socket.destroy();
        return;
      default:
        if (renderServiceFault) return renderServiceFault(fault, req, res, next);
        res.status(500).json({ error: `unknown fault type ${fault.type}` });
    }
  };
}
