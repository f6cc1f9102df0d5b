import { initialLanguage } from './i18n/language.js';
import { loadFailure } from './i18n/load-failure.js';

/** The rest of the dashboard did not load (a dropped connection, a server updated under the page): said, not a blank page. */
export function showLoadFailure(err: unknown): void {
  console.error('dashboard code not loaded', err);
  const main = document.createElement('main');
  main.className = 'page';
  const p = document.createElement('p');
  p.className = 'empty hint-error';
  p.setAttribute('role', 'alert');
  p.dataset.testid = 'load-failure';
  p.textContent = loadFailure[initialLanguage()];
  main.append(p);
  document.getElementById('root')!.replaceChildren(main);
}
