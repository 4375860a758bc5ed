import { paramsSchemaOf } from '../core/task';
import type { Runtime } from '../runtime/runtime';

/** Every discovered task as `GET /api/chains` and `nectar list --json` show it. */
export function catalogue(rt: Runtime): unknown[] {
  return rt.registry.tasks.map((t) => ({
    type: t.type,
    chain: t.chain,
    task: t.name,
    ref: t.ref,
    endpoint: `/api/chains/${t.type}/${t.chain}/${t.name}`,
    params: paramsSchemaOf(t.cls),
  }));
}
