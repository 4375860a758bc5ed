import { RUN_STATES } from '../core/states';
import { paramsSchemaOf } from '../core/task';
import type { Runtime } from '../runtime/runtime';

const envelope = (data: Record<string, unknown>): Record<string, unknown> => ({
  type: 'object',
  properties: { status: { type: 'integer' }, message: { type: 'string' }, data: { type: 'object', properties: data } },
});
const errorSchema = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]): Record<string, unknown> =>
  Object.fromEntries(codes.map((c) => [String(c), { description: `error ${c}`, content: { 'application/json': { schema: errorSchema } } }]));

/** OpenAPI 3.1 of this server, generated from the registry: one POST per task, its params as the schema. */
export function openApi(rt: Runtime): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const t of rt.registry.tasks) {
    const schema = paramsSchemaOf(t.cls) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    const parameters: Record<string, unknown>[] = Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: (schema.required ?? []).includes(name), schema: s }));
    parameters.push({ name: 'Prefer', in: 'header', required: false, description: `wait=<seconds> (RFC 7240): answer inline when done within that time (at most ${rt.config.maxWait} s), else 202`, schema: { type: 'string', examples: ['wait=30'] } });
    if (!schema.properties?.['wait']) parameters.push({ name: 'wait', in: 'query', required: false, description: 'the same as Prefer: wait=<seconds>', schema: { type: 'integer', minimum: 0 } });
    if (!schema.properties?.['stale']) parameters.push({ name: 'stale', in: 'query', required: false, description: 'what the run does with stale tasks whose class does not choose (default rebuild)', schema: { type: 'string', enum: ['rebuild', 'keep', 'fail'] } });
    paths[`/api/chains/${t.type}/${t.chain}/${t.name}`] = {
      post: {
        operationId: `run_${t.type}_${t.chain}_${t.name}`,
        summary: `Run ${t.ref}`,
        tags: [t.type],
        parameters,
        requestBody: { required: false, content: { 'application/json': { schema } } },
        responses: {
          '200': { description: 'already complete, or done (or failed) within the wait asked for: resource_url points at the output; with a wait, the output itself is inline', content: { 'application/json': { schema: envelope({ task_id: { type: 'string' }, job_status: { type: 'string' }, resource_url: { type: 'string' }, stale: { type: 'array', items: { type: 'string' } }, inline: { type: 'boolean' }, output: {}, outputs: { type: 'object' } }) } } },
          '202': { description: 'run started (or joined): poll status_url', content: { 'application/json': { schema: envelope({ run_id: { type: 'string' }, task_id: { type: 'string' }, status_url: { type: 'string' }, expires_in: {} }) } } },
          ...errors(400, 401, 404, 413),
        },
      },
    };
  }
  const get = (summary: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ get: { summary, responses: { '200': { description: 'ok' }, ...errors(400, 401, 404) }, ...extra } });
  paths['/api/chains'] = get('Every task: type, chain, name, endpoint, parameter schema');
  paths['/api/chainstatus'] = get('Status of a task id', { parameters: [{ name: 'chain', in: 'query', required: true, schema: { type: 'string' } }] });
  paths['/api/runs'] = get('Run history, newest first', {
    parameters: [
      { name: 'state', in: 'query', schema: { enum: RUN_STATES } },
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
      { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
    ],
  });
  paths['/api/runs/{id}'] = get('One run: nodes with states and timings, edges');
  paths['/api/runs/{id}/graph'] = get("A run's DAG as JSON (roots, nodes, edges) or Graphviz DOT", { parameters: [{ name: 'format', in: 'query', schema: { enum: ['json', 'dot'] } }] });
  paths['/api/runs/{id}/events'] = get('Server-sent events of a run');
  paths['/api/runs/{id}/cancel'] = { post: { summary: 'Cancel a run in flight', responses: { '200': { description: 'cancelled' }, ...errors(401, 404, 409) } } };
  paths['/api/runs/{id}/retry'] = { post: { summary: 'Run the failed part again', responses: { '202': { description: 'started' }, ...errors(401, 404, 409) } } };
  paths['/api/backfills'] = {
    get: { summary: 'Backfills, newest first, each with its progress', responses: { '200': { description: 'ok' }, ...errors(401) } },
    post: { summary: 'Start a backfill: one root task per partition of a range or list', responses: { '202': { description: 'started' }, ...errors(400, 401, 404) } },
  };
  paths['/api/backfills/{id}'] = get('One backfill and every partition: value, state, run');
  paths['/api/backfills/{id}/cancel'] = { post: { summary: 'Cancel a running backfill', responses: { '200': { description: 'cancelled' }, ...errors(401, 404, 409) } } };
  paths['/api/backfills/{id}/resume'] = { post: { summary: 'Run its failed, cancelled and missing partitions again', responses: { '202': { description: 'resumed' }, ...errors(401, 404, 409) } } };
  paths['/api/partitions/{type}/{chain}/{task}'] = get('The state of each partition of a range: DONE, STALE, FAILED, RUNNING, MISSING (the chain segment may be left out)', {
    parameters: ['from', 'to', 'step', 'over', 'values'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
  });
  paths['/api/schedules'] = get('Every schedule: its state (active, paused), next tick, last tick and last run');
  paths['/api/schedules/{type}/{chain}/{task}/{name}/{action}'] = {
    post: {
      summary: 'Pause, resume or trigger a schedule now (the chain segment may be left out)',
      parameters: [{ name: 'action', in: 'path', required: true, schema: { enum: ['pause', 'resume', 'trigger'] } }],
      responses: { '200': { description: 'paused or resumed' }, '202': { description: 'triggered' }, ...errors(401, 404) },
    },
  };
  paths['/api/tasks/{type}/{chain}/{task}/{hash}/log'] = get("A task's log lines: live while it runs in this server, else the stored log", { parameters: [{ name: 'format', in: 'query', schema: { enum: ['text'] } }] });
  paths['/api/tasks/{type}/{chain}/{task}/{hash}/invalidate'] = {
    post: {
      summary: "Remove a task's outputs and, with downstream, those of every task recorded as built from them (409 while a run in flight uses one of them)",
      parameters: [
        { name: 'downstream', in: 'query', schema: { type: 'boolean' } },
        { name: 'dry_run', in: 'query', schema: { type: 'boolean' }, description: 'list what would be removed, removing nothing' },
      ],
      responses: { '200': { description: 'removed (or, a dry run, would remove): the tasks and their keys' }, ...errors(400, 401, 409) },
    },
  };
  paths['/api/tasks/{type}/{chain}/{task}/{hash}/lineage'] = get('What a task was built from and what was recorded as built from it, across runs, each with whether it is there and stale now');
  paths['/healthz'] = get('Health');
  paths['/metrics'] = get('Prometheus metrics');
  return {
    openapi: '3.1.0',
    info: { title: 'nectar', version: '0.1.0', description: 'Every discovered task is an endpoint.' },
    paths,
    components: {
      schemas: { Error: { type: 'object', properties: { status: { type: 'integer' }, message: { type: 'string' }, error: { type: 'object', properties: { code: { type: 'string' }, details: {} } } } } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
