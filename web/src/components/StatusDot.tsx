import { useTranslation } from '../i18n/index.js';

export function OnlineDot({ online }: { online: boolean }) {
  const { t } = useTranslation('general');
  const label = online ? t('online') : t('offline');
  return <span className={`dot ${online ? 'dot-online' : 'dot-offline'}`} role="img" aria-label={label} title={label} />;
}
