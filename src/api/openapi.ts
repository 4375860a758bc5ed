import { RUN_STATES, TASK_STATES } from '../core/states';
import { paramsSchemaOf } from '../core/task';
import { TASK_HISTORY_MAX } from '../runtime/run-queries';
import type { Runtime } from '../runtime/runtime';

const envelope = (data: Record<string, unknown>): Record<string, unknown> => ({
  type: 'object',
  properties: { status: { type: 'integer' }, message: { type: 'string' }, data: { type: 'object', properties: data } },
});
const errorSchema = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]): Record<string, unknown> =>
  Object.fromEntries(codes.map((c) => [String(c), { description: `error ${c}`, content: { 'application/json': { schema: errorSchema } } }]));

const nullable = (type: string): Record<string, unknown> => ({ type: [type, 'null'] });

/** `GET /api/tasks/.../runs`: its path parameters and the answer's schema (wire.ts `TaskRunsAnswer`). */
function taskRunsPath(): Record<string, unknown> {
  const segment = (name: string, pattern: string): Record<string, unknown> => ({ name, in: 'path', required: true, schema: { type: 'string', pattern } });
  const run = {
    type: 'object',
    properties: {
      run_id: { type: 'string' }, run_url: { type: 'string' }, run_state: { enum: RUN_STATES },
      root: { type: 'boolean', description: "the task is the run's root" }, ref: { type: 'string', description: "the run's root task reference" },
      state: { enum: TASK_STATES, description: "the task's state in that run" }, skipped: { type: 'boolean' }, attempts: { type: 'integer' },
      created_at: { type: 'integer', description: "the run's, epoch ms" }, started_at: nullable('integer'), ended_at: nullable('integer'),
      duration_ms: { ...nullable('integer'), description: 'ended_at - started_at for a task that ran' }, error: { type: ['object', 'null'] },
    },
  };
  return {
    get: {
      summary: 'The runs in which a task id was recorded (as root or dependency), newest first; none for a task that never ran',
      parameters: [
        segment('type', '^[A-Za-z0-9_-]+$'), segment('chain', '^[A-Za-z0-9_-]+$'), segment('task', '^[A-Za-z0-9_-]+$'), segment('hash', '^[0-9a-f]{32}$'),
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: TASK_HISTORY_MAX, default: 20 } },
      ],
      responses: {
        '200': { description: 'the task id and its runs', content: { 'application/json': { schema: envelope({ task_id: { type: 'string' }, runs: { type: 'array', items: run } }) } } },
        ...errors(400, 401),
      },
    },
  };
}

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
  const time = (name: 'from' | 'to', what: string): Record<string, unknown> => ({
    name,
    in: 'query',
    description: `runs created ${what}: an ISO date (UTC midnight), an ISO date-time with its zone, or epoch milliseconds`,
    schema: { oneOf: [{ type: 'string', format: 'date' }, { type: 'string', format: 'date-time' }, { type: 'integer', minimum: 0 }] },
  });
  paths['/api/runs'] = get('Run history, newest first; filters combine, total counts every run matching them', {
    parameters: [
      { name: 'state', in: 'query', schema: { enum: RUN_STATES } },
      { name: 'task', in: 'query', description: "the run's root task: type/chain/Task exactly, type/Task, or the class name Task", schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+){0,2}$' } },
      {
        name: 'params', in: 'query', style: 'form', explode: true,
        description: "name=value, repeatable: each must match the run's parameter (a string equal to value, or a value whose JSON is value: n=5, flag=true)",
        schema: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*=' } },
      },
      time('from', 'at or after this (inclusive)'),
      time('to', 'before this (exclusive)'),
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
  paths['/api/tasks/{type}/{chain}/{task}/{hash}/runs'] = taskRunsPath();
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
