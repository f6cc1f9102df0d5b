import enCommon from './en/common.js';
import koCommon from './ko/common.js';
import enGeneral from './en/general.js';
import koGeneral from './ko/general.js';
import enOverview from './en/overview.js';
import koOverview from './ko/overview.js';
import enDevice from './en/device.js';
import koDevice from './ko/device.js';
import enAlarms from './en/alarms.js';
import koAlarms from './ko/alarms.js';

export const languages = ['en', 'ko'] as const;
export type Language = (typeof languages)[number];

/**
 * Every namespace, in both languages: one line each. A page's messages live in their own
 * namespace (en/<page>.ts, ko/<page>.ts) so that parallel work on pages does not collide.
 */
export const catalogues = {
  en: {
    common: enCommon,
    general: enGeneral,
    overview: enOverview,
    device: enDevice,
    alarms: enAlarms,
  },
  ko: {
    common: koCommon,
    general: koGeneral,
    overview: koOverview,
    device: koDevice,
    alarms: koAlarms,
  },
} satisfies Record<Language, Record<string, object>>;

export type Namespace = keyof (typeof catalogues)['en'];
