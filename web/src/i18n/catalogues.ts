import enCommon from './en/common.js';
import koCommon from './ko/common.js';

export const languages = ['en', 'ko'] as const;
export type Language = (typeof languages)[number];

/**
 * Every namespace, in both languages: one line each. A page's messages live in their own
 * namespace (en/<page>.ts, ko/<page>.ts) so that parallel work on pages does not collide.
 */
export const catalogues = {
  en: { common: enCommon },
  ko: { common: koCommon },
} satisfies Record<Language, Record<string, object>>;

export type Namespace = keyof (typeof catalogues)['en'];
