import { api } from '../api';
import { h, replace } from '../dom';
import type { Catalogue, CatalogueEntry } from '../../../src/api/wire';
import { taskForm } from './form';
import { errorState } from './messages';

/** `#/` and `#/chains/<type>/<chain>/<Task>`: every chain type, chain and task; the chosen task's form. */
/** `#/chains/<task>?k=v`: the form opens with these values filled in (a task panel's "Run again with these parameters"). */
export async function catalogueView(root: HTMLElement, ref: string | null, prefill = new URLSearchParams()): Promise<void> {
  replace(root, h('p', { class: 'muted loading' }, 'Loading chains…'));
  let tasks: CatalogueEntry[];
  try {
    tasks = (await api<Catalogue>('/api/chains')).data.chains;
  } catch (err) {
    replace(root, errorState(err, () => void catalogueView(root, ref, prefill)));
    return;
  }
  if (tasks.length === 0) {
    replace(root, h('section', { class: 'empty' }, h('h1', {}, 'No chains yet'), h('p', {}, 'Add a file such as ', h('code', {}, 'chains/<type>/<name>_chain.ts'), ' exporting task classes; this page lists them without a restart.')));
    return;
  }
  const byType = new Map<string, Map<string, CatalogueEntry[]>>();
  for (const t of tasks) {
    const chains = byType.get(t.type) ?? new Map<string, CatalogueEntry[]>();
    byType.set(t.type, chains);
    chains.set(t.chain, [...(chains.get(t.chain) ?? []), t]);
  }
  const selected = ref ? findTask(tasks, ref) : undefined;
  if (selected && ref !== keyOf(selected)) {
    // The CLI's short name (`type/Task`): the address bar shows the task's full name.
    history.replaceState(null, '', `#/chains/${keyOf(selected)}${prefill.size ? `?${prefill}` : ''}`);
    ref = keyOf(selected);
  }
  const nav = h('nav', { class: 'catalogue', 'aria-label': 'Chains' },
    [...byType].map(([type, chains]) => h('section', { class: 'chain-type' },
      h('h2', {}, type),
      [...chains].map(([chain, list]) => h('div', { class: 'chain' },
        h('h3', {}, chain),
        h('ul', {}, list.map((t) => {
          const key = keyOf(t);
          return h('li', {}, h('a', { href: `#/chains/${key}`, 'aria-current': key === ref ? 'page' : null, 'data-task': key }, t.task,
            h('span', { class: 'muted' }, ` ${plural(Object.keys(t.params.properties ?? {}).length, 'param')}`)));
        })),
      )),
    )),
  );
  const main = h('div', { class: 'task-pane' });
  if (selected) main.append(taskForm(selected, (runId) => (location.hash = `#/runs/${runId}`), prefill));
  else if (ref) main.append(h('div', { class: 'notice error', role: 'alert' }, `No task ${ref}. Pick one from the list.`));
  else main.append(h('div', { class: 'empty' }, h('h1', {}, 'Chains'), h('p', {}, `${tasks.length} tasks in ${byType.size} chain types. Pick a task to see its parameters and run it.`)));
  replace(root, h('div', { class: 'split' }, nav, main));
  (main.querySelector('input, select') as HTMLElement | null)?.focus();
}

function keyOf(t: CatalogueEntry): string {
  return `${t.type}/${t.chain}/${t.task}`;
}

/** The task `ref` names: `type/chain/Task`, or `type/Task` when only one chain of that type has such a task. */
function findTask(tasks: CatalogueEntry[], ref: string): CatalogueEntry | undefined {
  const exact = tasks.find((t) => keyOf(t) === ref);
  if (exact) return exact;
  const [type, task, more] = ref.split('/');
  if (more !== undefined) return undefined;
  const short = tasks.filter((t) => t.type === type && t.task === task);
  return short.length === 1 ? short[0] : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
