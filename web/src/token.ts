import { h } from './dom';

/** The API token is asked once and kept for the tab (sessionStorage), never in localStorage. */
const KEY = 'nectar.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}

let pending: Promise<string> | null = null;

/** Ask for the token in a modal dialog; concurrent callers share one dialog. */
export function askToken(reason: string): Promise<string> {
  pending ??= new Promise<string>((resolve) => {
    const input = h('input', { type: 'password', name: 'token', id: 'token-input', autocomplete: 'off', required: true, 'aria-describedby': 'token-why' });
    const form = h('form', { method: 'dialog', class: 'token-form' },
      h('h2', {}, 'API token'),
      h('p', { id: 'token-why' }, reason),
      h('label', { for: 'token-input' }, 'Token'),
      input,
      h('p', { class: 'hint' }, 'Kept for this tab only.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Use token')),
    );
    const dialog = h('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title' }, form);
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    form.addEventListener('submit', () => {
      const value = input.value.trim();
      setToken(value);
      dialog.close();
      dialog.remove();
      pending = null;
      resolve(value);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return pending;
}
