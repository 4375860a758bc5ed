import { existsSync } from 'node:fs';
import { Router } from 'express';
import { taskFolder } from '../../core/binding';
import { assertSafeKey } from '../../core/target';
import type { RunManager } from '../../runtime/runs';
import type { Runtime } from '../../runtime/runtime';
import { TaskStatuses } from '../../runtime/task-status';
import { methodNotAllowed } from '../errors';
import { TASK_ID, baseUrl, fail, nameParam, send } from '../respond';
import type { LogAnswer, TaskStatus } from '../wire';

/** Status polling, output downloads and task logs. */
export function statusRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  const statuses = new TaskStatuses(rt, runs);

  r.route('/chainstatus')
    .get(async (req, res) => {
      const id = req.query['chain'];
      if (typeof id !== 'string' || id === '') fail('BAD_REQUEST', "query parameter 'chain' (a task id) is required", { param: 'chain' });
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `'chain' must be a task id <type>/<chain>/<Task>/<32 hex>, got ${JSON.stringify(id)}`, { param: 'chain' });
      const status = await statuses.get(id, baseUrl(req));
      if (!status) fail('TASK_NOT_FOUND', `no run has task ${id} and its outputs do not exist`);
      send<TaskStatus>(res, 200, status);
    })
    .all(methodNotAllowed(['GET']));

  // Local outputs, served from the target root only (keys are checked, dotfiles refused).
  r.route('/targets/*key')
    .get((req, res) => {
      const parts = (req.params as { key?: string[] }).key ?? [];
      const key = parts.join('/');
      try {
        assertSafeKey(key);
      } catch {
        fail('BAD_REQUEST', `bad target path ${JSON.stringify(key)}`);
      }
      if (parts[0] !== 'chains' || parts.some((p) => p.startsWith('.'))) fail('NOT_FOUND', `no target ${key}`);
      // Only local targets have a file here; on S3 clients download from presigned links.
      const path = rt.store.localPath?.(key);
      if (path === undefined) fail('NOT_FOUND', 'targets are not on this server');
      if (!existsSync(path)) fail('NOT_FOUND', `no target ${key}`);
      res.sendFile(path, { dotfiles: 'deny' });
    })
    .all(methodNotAllowed(['GET']));

  r.route('/tasks/:type/:chain/:task/:hash/log')
    .get(async (req, res) => {
      const id = ['type', 'chain', 'task', 'hash'].map((k) => nameParam(req, k)).join('/');
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `not a task id: ${id}`);
      // A task running now in this server answers from memory; otherwise its stored log file.
      const live = runs.liveLogs.get(id);
      let text: string;
      if (live) text = live.lines.join('');
      else {
        try {
          text = await rt.store.target(`${taskFolder(id)}/log`).readText();
        } catch {
          fail('NOT_FOUND', `task ${id} has no log (yet): it is not running in this server and no log file was written`);
        }
      }
      if (req.query['format'] === 'text') {
        res.type('text/plain').send(text);
        return;
      }
      const lines = text.split('\n').filter(Boolean).map((l) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          return { msg: l };
        }
      });
      send<LogAnswer>(res, 200, { task_id: id, live: live !== undefined, dropped: live?.dropped ?? 0, lines });
    })
    .all(methodNotAllowed(['GET']));
  return r;
}
