import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { TaskApi, type Channel, type NotificationRecord } from '../../tasks/api.js';
import { useFormErrors } from '../../tasks/form.js';
import { FormError, RoleNote, useCan } from '../../tasks/ui.js';

/** The configured notification channels, their policies and delivery log, with a test button each. */
export function ChannelsScreen() {
  const { api } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('channels');
  const canTest = useCan('operator');
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [log, setLog] = useState<NotificationRecord[]>([]);
  const [tested, setTested] = useState<Record<string, NotificationRecord>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(
    () =>
      tasks.notifications(undefined, 30).then((r) => {
        setChannels(r.channels);
        setLog(r.notifications);
      }, fail),
    [tasks, fail],
  );
  useEffect(() => void load(), [load]);
  const test = async (name: string) => {
    clear();
    setBusy(name);
    try {
      const rec = await tasks.testChannel(name);
      setTested((x) => ({ ...x, [name]: rec }));
      await load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };
  const when = new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'medium' });
  const status = (s: string) => (s === 'sent' || s === 'failed' || s === 'pending' ? t(`status.${s}`) : s);
  return (
    <section className="task-screen" data-testid="screen-channels">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        {!canTest && <RoleNote needed="operator" />}
        <FormError errors={errors} />
        {channels === null ? (
          <p className="empty">{t('loading')}</p>
        ) : channels.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <table className="admin-table" data-testid="channels-table">
            <thead>
              <tr>
                <th scope="col">{t('col.name')}</th>
                <th scope="col">{t('col.type')}</th>
                <th scope="col">{t('col.policy')}</th>
                <th scope="col">{t('col.test')}</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.name} data-testid={`channel-row-${c.name}`}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                  <td>
                    <code className="task-policy">{JSON.stringify(c.policy)}</code>
                  </td>
                  <td>
                    {canTest && (
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy === c.name}
                        onClick={() => void test(c.name)}
                        data-testid={`channel-test-${c.name}`}
                      >
                        {t('test')}
                        <span className="sr-only"> {c.name}</span>
                      </button>
                    )}
                    {tested[c.name] && (
                      <span
                        className={`cmd-status cmd-${tested[c.name].status}`}
                        role="status"
                        data-testid={`channel-result-${c.name}`}
                        data-status={tested[c.name].status}
                      >
                        {' '}
                        {status(tested[c.name].status)}
                        {tested[c.name].error ? `: ${tested[c.name].error}` : ''}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel">
        <div className="panel-head">
          <h2>{t('log')}</h2>
        </div>
        {log.length === 0 ? (
          <p className="empty">{t('noLog')}</p>
        ) : (
          <table className="admin-table" data-testid="notifications-table">
            <thead>
              <tr>
                <th scope="col">{t('col.when')}</th>
                <th scope="col">{t('col.name')}</th>
                <th scope="col">{t('col.kind')}</th>
                <th scope="col">{t('col.status')}</th>
                <th scope="col">{t('col.summary')}</th>
              </tr>
            </thead>
            <tbody>
              {log.map((n) => (
                <tr key={n.id ?? `${n.channel}-${n.createdAt}`}>
                  <td>{when.format(n.createdAt)}</td>
                  <td>{n.channel}</td>
                  <td>{n.kind}</td>
                  <td>{status(n.status)}</td>
                  <td>{n.error ?? n.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
