import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

// The correlation id follows one record from the Salesforce change to the Responsys call, into the
// engagement that comes back and into the sync log. It travels in AsyncLocalStorage so that every
// log line written while working on that record carries it without passing it around by hand.
// Batch work (one API call for 200 records) carries the ids of every record in the batch.

export interface CorrelationContext {
  correlationId?: string;
  correlationIds?: readonly string[];
  requestId?: string;
  flow?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** A fresh id for a record journey that did not bring one (Text 64 on the Salesforce side). */
export function newCorrelationId(): string {
  return randomUUID();
}

export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** Runs `fn` with `context` merged over the surrounding one. */
export function withCorrelation<T>(context: CorrelationContext | string, fn: () => T): T {
  const added = typeof context === 'string' ? { correlationId: context } : context;
  return storage.run({ ...storage.getStore(), ...added }, fn);
}
