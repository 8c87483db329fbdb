import type { z } from 'zod';
import { BridgeError } from '../shared/errors.js';

// Input validation for routes: a zod schema, and a 400 that names each bad field.

export function validate<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : where,
    message: issue.message,
  }));
  throw new BridgeError(
    'VALIDATION_FAILED',
    `Invalid ${where}: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
    { details: { issues } },
  );
}
