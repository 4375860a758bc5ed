import { z } from 'zod';
import { requiredSchema, serializedErrorSchema } from './wire';

/** How a child finds a task: the chain file that exports it, and its parameters. */
export const taskRefSchema = z.object({
  file: z.string(),
  type: z.string(),
  chain: z.string(),
  name: z.string(),
  params: z.record(z.string(), z.unknown()),
});
export type TaskRef = z.infer<typeof taskRefSchema>;

/** Parent -> child. */
export const toChildSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), runId: z.string(), attempt: z.number(), task: taskRefSchema }),
  requiredSchema,
]);
export type ToChild = z.infer<typeof toChildSchema>;

/** Child -> parent. */
export const fromChildSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('log'), line: z.string() }),
  z.object({ type: z.literal('require'), reqId: z.number(), tasks: z.array(taskRefSchema) }),
  z.object({ type: z.literal('done') }),
  z.object({ type: z.literal('failed'), error: serializedErrorSchema }),
]);
export type FromChild = z.infer<typeof fromChildSchema>;
