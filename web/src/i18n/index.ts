import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { catalogues, type Language } from './catalogues.js';
import { initialLanguage, storeLanguage } from './language.js';

/**
 * Starts i18next before the first render, synchronously (the catalogues are bundled), and keeps
 * <html lang> in step so screen readers, fonts and hyphenation follow the language.
 */
export function initI18n(lang: Language = initialLanguage()): typeof i18next {
  void i18next.use(initReactI18next).init({
    resources: catalogues,
    lng: lang,
    fallbackLng: 'en',
    defaultNS: 'common',
    ns: Object.keys(catalogues.en),
    // React escapes what it renders; escaping here too would show &amp; to the user.
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  document.documentElement.lang = lang;
  return i18next;
}

export async function setLanguage(lang: Language): Promise<void> {
  storeLanguage(lang);
  await i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
}

/** The language in force, for Intl formatters (numbers, dates, relative times). */
export function currentLanguage(): Language {
  return (i18next.resolvedLanguage ?? 'en') as Language;
}

export { useTranslation };
