import { paramsSchemaOf } from '../core/task';
import type { Runtime } from '../runtime/runtime';
import type { CatalogueEntry, ParamsSchema } from './wire';

/** Every discovered task as `GET /api/chains` and `nectar list --json` show it. */
export function catalogue(rt: Runtime): CatalogueEntry[] {
  const schedules = rt.registry.schedules;
  return rt.registry.tasks.map((t) => ({
    type: t.type,
    chain: t.chain,
    task: t.name,
    ref: t.ref,
    endpoint: `/api/chains/${t.type}/${t.chain}/${t.name}`,
    // An object schema with `properties` and `required` (paramsJsonSchema), typed as any JSON there.
    params: paramsSchemaOf(t.cls) as unknown as ParamsSchema,
    schedules: schedules.filter((s) => s.ref === t.ref).map((s) => ({ name: s.name, cron: s.cron, timezone: s.timezone, catchup: s.catchup, max_catchup: s.maxCatchup })),
  }));
}
