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

/**
 * The task id a status query names. datanectar's clients build the status URL by hand from
 * the target's path, `chains/<type>/<chain>/<Task>/<md5>/out.txt`: its `chains/` prefix and
 * the output after the hash are dropped, so those clients poll the same status as the id form.
 * An output path of `.` or `..` segments is not one. Anything else is returned as it is (and
 * judged a task id or not by the caller).
 */
export function statusTaskId(raw: string): string {
  const m = /^\/?(?:chains\/)?([A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[0-9a-f]{32})(?:\/(?!\.+(?:\/|$))[A-Za-z0-9_.-]+)*$/.exec(raw);
  return m?.[1] ?? raw;
}

/** Status polling, output downloads and task logs. */
export function statusRouter(rt: Runtime, runs: RunManager): Router {
  const r = Router();
  const statuses = new TaskStatuses(rt, runs);

  r.route('/chainstatus')
    .get(async (req, res) => {
      const raw = req.query['chain'];
      if (typeof raw !== 'string' || raw === '') fail('BAD_REQUEST', "query parameter 'chain' (a task id) is required", { param: 'chain' });
      const id = statusTaskId(raw);
      if (!TASK_ID.test(id)) fail('BAD_REQUEST', `'chain' must be a task id <type>/<chain>/<Task>/<32 hex> (or its target path, chains/<type>/<chain>/<Task>/<32 hex>/<output>), got ${JSON.stringify(raw)}`, { param: 'chain' });
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
