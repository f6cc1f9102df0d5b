import type { Language } from './language.js';

/**
 * What the page says when the rest of the dashboard (web/src/mount.tsx, the catalogues with it)
 * could not be loaded: kept here, in both languages, for the entry to show without them.
 */
export const loadFailure: Record<Language, string> = {
  en: 'The dashboard could not be loaded. Check the connection to the server and reload the page.',
  ko: '대시보드를 불러오지 못했습니다. 서버 연결을 확인하고 페이지를 새로 고치세요.',
};
