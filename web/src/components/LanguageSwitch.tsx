import { languages, type Language } from '../i18n/catalogues.js';
import { setLanguage, useTranslation } from '../i18n/index.js';

/** Each language named in itself, so a user who cannot read the current one still finds theirs. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <select
      className="lang-switch"
      data-testid="language"
      aria-label={t('language.label')}
      value={i18n.resolvedLanguage}
      onChange={(e) => void setLanguage(e.target.value as Language)}
    >
      {languages.map((l) => (
        <option key={l} value={l} lang={l}>
          {t(`language.${l}`)}
        </option>
      ))}
    </select>
  );
}
