/** The dashboard's languages. Here, not beside the catalogues: the page's entry reads them before the catalogues are loaded. */
export const languages = ['en', 'ko'] as const;
export type Language = (typeof languages)[number];

const KEY = 'fieldscope.lang';

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (languages as readonly string[]).includes(v);
}

/** The browser's first preferred language we have, by its primary subtag (ko-KR -> ko); else English. */
export function fromBrowser(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLanguage(primary)) return primary;
  }
  return 'en';
}

/** The user's stored choice, else the browser's. */
export function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    /* storage unavailable (private mode): follow the browser */
  }
  return fromBrowser(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export function storeLanguage(lang: Language): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}
