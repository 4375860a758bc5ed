import { api } from '../api';
import { h, replace } from '../dom';
import type { Catalogue, CatalogueEntry } from '../../../src/api/wire';
import { taskForm } from './form';
import { errorState } from './messages';

/** `#/` and `#/chains/<type>/<chain>/<Task>`: every chain type, chain and task; the chosen task's form. */
export async function catalogueView(root: HTMLElement, ref: string | null): Promise<void> {
  replace(root, h('p', { class: 'muted loading' }, 'Loading chains…'));
  let tasks: CatalogueEntry[];
  try {
    tasks = (await api<Catalogue>('/api/chains')).data.chains;
  } catch (err) {
    replace(root, errorState(err, () => void catalogueView(root, ref)));
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
  const selected = ref ? tasks.find((t) => `${t.type}/${t.chain}/${t.task}` === ref) : undefined;
  const nav = h('nav', { class: 'catalogue', 'aria-label': 'Chains' },
    [...byType].map(([type, chains]) => h('section', { class: 'chain-type' },
      h('h2', {}, type),
      [...chains].map(([chain, list]) => h('div', { class: 'chain' },
        h('h3', {}, chain),
        h('ul', {}, list.map((t) => {
          const key = `${t.type}/${t.chain}/${t.task}`;
          return h('li', {}, h('a', { href: `#/chains/${key}`, 'aria-current': key === ref ? 'page' : null, 'data-task': key }, t.task,
            h('span', { class: 'muted' }, ` ${plural(Object.keys(t.params.properties ?? {}).length, 'param')}`)));
        })),
      )),
    )),
  );
  const main = h('div', { class: 'task-pane' });
  if (selected) main.append(taskForm(selected, (runId) => (location.hash = `#/runs/${runId}`)));
  else if (ref) main.append(h('div', { class: 'notice error', role: 'alert' }, `No task ${ref}. Pick one from the list.`));
  else main.append(h('div', { class: 'empty' }, h('h1', {}, 'Chains'), h('p', {}, `${tasks.length} tasks in ${byType.size} chain types. Pick a task to see its parameters and run it.`)));
  replace(root, h('div', { class: 'split' }, nav, main));
  (main.querySelector('input, select') as HTMLElement | null)?.focus();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
