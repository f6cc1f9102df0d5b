// Every word the dashboard shows comes from the message catalogues: a scan of web/src with the
// TypeScript compiler for text in JSX, and for string literals given to the attributes people
// read (title, aria-label, placeholder, alt, label) or to alert/confirm. Text without a letter
// (symbols such as ×, ◀, —, ·) is not language and passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '../../web/src');

const READ_ATTRS = new Set([
  'title',
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-roledescription',
  'aria-valuetext',
  'placeholder',
  'alt',
  'label',
]);
const hasWord = (s: string) => /\p{L}/u.test(s);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'i18n' ? [] : files(join(dir, e.name))) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * The string literals an expression can evaluate to (and template literals' own text): through
 * ?:, &&, ||, ??, + and parentheses, not into conditions, calls, or nested JSX (scanned on its own).
 */
function shown(e: ts.Expression): { text: string; node: ts.Node }[] {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [{ text: e.text, node: e }];
  if (ts.isTemplateExpression(e)) return [{ text: [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].join(' '), node: e }];
  if (ts.isParenthesizedExpression(e)) return shown(e.expression);
  if (ts.isConditionalExpression(e)) return [...shown(e.whenTrue), ...shown(e.whenFalse)];
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return shown(e.right);
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.PlusToken)
      return [...shown(e.left), ...shown(e.right)];
  }
  return [];
}

/** Every UI string outside the catalogues in one source text, as "file:line: text". */
export function scan(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const report = (n: ts.Node, text: string) => {
    const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    found.push(`${file}:${line}: ${JSON.stringify(text.trim())}`);
  };
  const visit = (n: ts.Node) => {
    if (ts.isJsxText(n) && hasWord(n.text)) report(n, n.text);
    else if (ts.isJsxExpression(n) && n.expression && (ts.isJsxElement(n.parent) || ts.isJsxFragment(n.parent))) {
      // {'text'} or {cond ? 'a' : 'b'} as a child of an element: shown as is.
      for (const l of shown(n.expression)) if (hasWord(l.text)) report(l.node, l.text);
    } else if (ts.isJsxAttribute(n) && READ_ATTRS.has(n.name.getText(sf)) && n.initializer) {
      const init = n.initializer;
      const values = ts.isStringLiteral(init) ? [{ text: init.text, node: init }] : ts.isJsxExpression(init) && init.expression ? shown(init.expression) : [];
      for (const l of values) if (hasWord(l.text)) report(l.node, l.text);
    } else if (ts.isCallExpression(n)) {
      const callee = n.expression.getText(sf);
      if (/^(window\.)?(alert|confirm|prompt)$/.test(callee))
        for (const a of n.arguments) for (const l of shown(a)) if (hasWord(l.text)) report(l.node, l.text);
    }
    n.forEachChild(visit);
  };
  visit(sf);
  return found;
}

test('no UI string outside the message catalogues in web/src', () => {
  const offenders: string[] = [];
  for (const f of files(root)) {
    const rel = relative(root, f).split('\\').join('/');
    offenders.push(...scan(rel, readFileSync(f, 'utf8')));
  }
  assert.deepEqual(offenders, [], `UI text outside the catalogues (move it to web/src/i18n/<lang>/<page>.ts):\n${offenders.join('\n')}`);
});

test('the scan finds text in JSX, in read attributes and in alerts, and lets symbols and keys pass', () => {
  const src = `
    export function X({ n }: { n: number }) {
      return (
        <div title="Hello" aria-label={n ? 'many' : '×'}>
          Plain words
          {n > 1 ? 'items' : '—'}
          <input placeholder={\`search \${n}\`} />
          <button onClick={() => window.alert('Failed')}>×</button>
          {t('catalogue.key')}
          <span title={t('ok')}>◀ · {n}</span>
        </div>
      );
    }`;
  const found = scan('x.tsx', src).map((s) => s.replace(/^x\.tsx:\d+: /, ''));
  assert.deepEqual(found.sort(), ['"Failed"', '"Hello"', '"Plain words"', '"items"', '"many"', '"search"'].sort());
});
