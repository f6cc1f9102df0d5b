import type { catalogues } from './catalogues.js';

// Keys given to t() are checked against the English catalogue at compile time.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: (typeof catalogues)['en'];
  }
}
