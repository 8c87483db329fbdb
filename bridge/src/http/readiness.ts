import { errorMessage } from '../shared/errors.js';

// Readiness: the bridge is ready when every registered check passes (the store, and what connectors
// add: Salesforce, Responsys, the subscription). A check passes when it resolves; it fails when it
// throws, answers { ok: false }, or takes longer than its timeout.

export interface CheckResult {
  ok: boolean;
  /** a short, safe explanation: "held by bridge-2", "token expires in 40 min" */
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult | void> | CheckResult | void;

export interface CheckOptions {
  timeoutMs?: number;
  /** a non-critical check is reported but does not make the bridge unready */
  critical?: boolean;
}

export interface CheckReport {
  ok: boolean;
  critical: boolean;
  durationMs: number;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckReport>;
}

export class ReadinessRegistry {
  private readonly checks = new Map<string, { check: ReadinessCheck; options: Required<CheckOptions> }>();

  add(name: string, check: ReadinessCheck, options: CheckOptions = {}): void {
    if (this.checks.has(name)) throw new Error(`Readiness check "${name}" is registered twice`);
    this.checks.set(name, {
      check,
      options: { timeoutMs: options.timeoutMs ?? 3000, critical: options.critical ?? true },
    });
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(
        async ([name, { check, options }]) => [name, await runCheck(check, options)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, report]) => report.ok || !report.critical), checks };
  }
}

async function runCheck(check: ReadinessCheck, options: Required<CheckOptions>): Promise<CheckReport> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    const result = (await Promise.race([Promise.resolve().then(check), timeout])) ?? { ok: true };
    return {
      ok: result.ok,
      critical: options.critical,
      durationMs: Date.now() - started,
      ...(result.detail ? { detail: result.detail } : {}),
    };
  } catch (error) {
    return {
      ok: false,
      critical: options.critical,
      durationMs: Date.now() - started,
      detail: errorMessage(error),
    };
  } finally {
    clearTimeout(timer);
  }
}
