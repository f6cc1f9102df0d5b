import { roleAtLeast } from '../auth/identity.js';
import { hrefs } from '../hooks/useRoute.js';
import { useTranslation } from '../i18n/index.js';
import { SCREENS, screens, taskHref, type Screen } from '../tasks/routes.js';
import { useRole } from '../tasks/ui.js';
import { RulesScreen } from './tasks/RulesScreen.js';
import { CommandsScreen } from './tasks/CommandsScreen.js';
import { ChannelsScreen } from './tasks/ChannelsScreen.js';
import { ProfilesScreen } from './tasks/ProfilesScreen.js';
import { OtaScreen } from './tasks/OtaScreen.js';
import { EquipmentScreen } from './tasks/EquipmentScreen.js';
import { MappingsScreen } from './tasks/MappingsScreen.js';
import { ModelsScreen } from './tasks/ModelsScreen.js';
import { RejectedScreen } from './tasks/RejectedScreen.js';
import { ImportScreen } from './tasks/ImportScreen.js';
import { RetentionScreen } from './tasks/RetentionScreen.js';
import { AuditScreen } from './tasks/AuditScreen.js';
import { AlarmStatsScreen } from './tasks/AlarmStatsScreen.js';

/** The operator screens, one tab each; a tab shows only to a role that may look at it. */
export function TasksPage({ screen, params }: { screen: Screen; params: URLSearchParams }) {
  const { t } = useTranslation('tasks');
  const role = useRole();
  const visible = screens.filter((s) => roleAtLeast(role, SCREENS[s].view));
  return (
    <main className="page task-page">
      <h1 className="page-title">{t('title')}</h1>
      <nav className="task-tabs" aria-label={t('tabsLabel')}>
        {visible.map((s) => (
          <a key={s} href={taskHref(s)} aria-current={s === screen ? 'page' : undefined} data-testid={`tab-${s}`}>
            {t(`screen.${s}`)}
          </a>
        ))}
        {roleAtLeast(role, 'admin') && (
          <a href={hrefs.admin()} data-testid="tab-access">
            {t('screen.access')}
          </a>
        )}
      </nav>
      {!visible.includes(screen) ? (
        <p className="empty">{t('roleNeeded', { needed: t(`roles.${SCREENS[screen].view}`), role: role ? t(`roles.${role}`) : '?' })}</p>
      ) : screen === 'rules' ? (
        <RulesScreen />
      ) : screen === 'commands' ? (
        <CommandsScreen device={params.get('device') ?? ''} />
      ) : screen === 'channels' ? (
        <ChannelsScreen />
      ) : screen === 'profiles' ? (
        <ProfilesScreen />
      ) : screen === 'ota' ? (
        <OtaScreen />
      ) : screen === 'equipment' ? (
        <EquipmentScreen />
      ) : screen === 'mappings' ? (
        <MappingsScreen />
      ) : screen === 'rejected' ? (
        <RejectedScreen device={params.get('device') ?? ''} />
      ) : screen === 'import' ? (
        <ImportScreen />
      ) : screen === 'retention' ? (
        <RetentionScreen />
      ) : screen === 'audit' ? (
        <AuditScreen />
      ) : screen === 'stats' ? (
        <AlarmStatsScreen />
      ) : (
        <ModelsScreen />
      )}
    </main>
  );
}
