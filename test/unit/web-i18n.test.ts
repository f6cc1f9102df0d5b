import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogues, languages } from '../../web/src/i18n/catalogues.js';
import { fromBrowser } from '../../web/src/i18n/language.js';

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Every message of a catalogue as dotted key -> text. */
function flatten(obj: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else if (v && typeof v === 'object') for (const [kk, vv] of flatten(v as object, key)) out.set(kk, vv);
    else assert.fail(`${key}: a message must be a string, got ${typeof v}`);
  }
  return out;
}

const variables = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1]).sort();

test('both languages have the same namespaces and, per namespace, the same messages', () => {
  const [first, ...rest] = languages;
  const namespaces = Object.keys(catalogues[first]).sort();
  for (const lang of rest) assert.deepEqual(Object.keys(catalogues[lang]).sort(), namespaces, `namespaces of ${lang}`);
  for (const ns of namespaces) {
    const base = (lang: (typeof languages)[number]) => {
      const flat = flatten((catalogues[lang] as Record<string, object>)[ns]);
      return new Set([...flat.keys()].map((k) => k.replace(PLURAL, '')));
    };
    const reference = base(first);
    for (const lang of rest) {
      const other = base(lang);
      const missing = [...reference].filter((k) => !other.has(k));
      const extra = [...other].filter((k) => !reference.has(k));
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${ns}: ${lang} against ${first}`);
    }
  }
});

test('plural messages have every form the language needs, and translations keep the same {{variables}}', () => {
  for (const ns of Object.keys(catalogues.en)) {
    const flat = Object.fromEntries(languages.map((l) => [l, flatten((catalogues[l] as Record<string, object>)[ns])]));
    for (const lang of languages) {
      const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      const plurals = new Set([...flat[lang].keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
      for (const p of plurals) for (const c of categories) assert.ok(flat[lang].has(`${p}_${c}`), `${ns}:${p}_${c} missing in ${lang}`);
    }
    for (const [key, text] of flat.en) {
      const base = key.replace(PLURAL, '');
      for (const lang of languages) {
        const other = flat[lang].get(key) ?? flat[lang].get(`${base}_other`);
        if (other === undefined) continue; // a plural form this language does not have: checked above
        const want = variables(text).filter((v) => v !== 'count' || !PLURAL.test(key));
        const got = variables(other).filter((v) => v !== 'count' || !PLURAL.test(key));
        assert.deepEqual([...new Set(got)], [...new Set(want)], `${ns}:${key} in ${lang} uses other variables than in en`);
      }
    }
  }
});

test('the language follows the browser by its primary subtag, else English', () => {
  assert.equal(fromBrowser(['ko-KR', 'en-US']), 'ko');
  assert.equal(fromBrowser(['de-DE', 'ko']), 'ko');
  assert.equal(fromBrowser(['en-GB']), 'en');
  assert.equal(fromBrowser(['fr', 'de']), 'en');
  assert.equal(fromBrowser([]), 'en');
});
