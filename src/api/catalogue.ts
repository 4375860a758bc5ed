import { paramsSchemaOf } from '../core/task';
import type { Runtime } from '../runtime/runtime';
import type { CatalogueEntry, ParamsSchema, ScheduleEntry } from './wire';

/** Every discovered task as `GET /api/chains` and `nectar list --json` show it. */
export function catalogue(rt: Runtime): CatalogueEntry[] {
  const schedules = new Map<string, ScheduleEntry[]>();
  for (const s of rt.registry.schedules) {
    const entry: ScheduleEntry = { name: s.name, cron: s.cron, timezone: s.timezone, catchup: s.catchup, max_catchup: s.maxCatchup, deadline: s.deadline ?? null };
    const list = schedules.get(s.ref);
    if (list) list.push(entry);
    else schedules.set(s.ref, [entry]);
  }
  return rt.registry.tasks.map((t) => ({
    type: t.type,
    chain: t.chain,
    task: t.name,
    ref: t.ref,
    endpoint: `/api/chains/${t.type}/${t.chain}/${t.name}`,
    // An object schema with `properties` and `required` (paramsJsonSchema), typed as plain JSON in core.
    params: paramsSchemaOf(t.cls) as unknown as ParamsSchema,
    schedules: schedules.get(t.ref) ?? [],
  }));
}
