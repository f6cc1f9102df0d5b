import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

interface AxePage {
  evaluate<R, A>(fn: (arg: A) => Promise<R> | R, arg: A): Promise<R>;
  evaluate(script: string): Promise<unknown>;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

export const themes = ['light', 'dark'] as const;
export type Theme = (typeof themes)[number];

let source: string | undefined;
const axeSource = () => (source ??= readFileSync(join(packageRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));

/** axe-core on the page as it stands, in one theme: every violation. */
async function run(page: AxePage, theme: Theme): Promise<AxeViolation[]> {
  return page.evaluate(async (theme: Theme) => {
    const root = document.documentElement;
    const was = root.dataset.theme;
    // No colour transitions while the theme is swapped: axe would read a colour half-way.
    const still = document.createElement('style');
    still.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
    document.head.append(still);
    root.dataset.theme = theme;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    try {
      const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target as string[] })) }));
    } finally {
      if (was === undefined) delete root.dataset.theme;
      else root.dataset.theme = was;
      still.remove();
    }
  }, theme);
}

/**
 * Runs axe-core on the page as it stands, once in each theme (light and dark, as <html data-theme>
 * sets them), and answers the serious and critical violations, one line each, named by theme.
 * axe is put in through the DevTools protocol, not a <script> tag, so the page's CSP stays in force.
 */
export async function seriousViolations(page: AxePage): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window, undefined))) await page.evaluate(axeSource());
  const out: string[] = [];
  for (const theme of themes)
    for (const v of await run(page, theme))
      if (v.impact === 'serious' || v.impact === 'critical')
        out.push(
          `${theme}: ${v.impact} ${v.id}: ${v.help} (${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')})`,
        );
  return out;
}
