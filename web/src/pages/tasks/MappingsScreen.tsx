import { useEffect, useState } from 'react';
import { useTranslation } from '../../i18n/index.js';
import { FormError } from '../../tasks/ui.js';
import { useFormErrors } from '../../tasks/form.js';

interface Mapping {
  name?: string;
  topic: string;
  device?: string;
  metrics?: string;
  profile?: string;
}

/** Topic mappings as GET /health lists them (the MQTT component): read-only until the API edits them. */
export function MappingsScreen() {
  const { t } = useTranslation('mappings');
  const [list, setList] = useState<Mapping[] | null>(null);
  const { errors, fail } = useFormErrors();
  useEffect(() => {
    // /health is public and answers 503 with the same body when a component is down.
    fetch('/health', { headers: { accept: 'application/json' } })
      .then((r) => r.json() as Promise<{ components?: Record<string, { topicMappings?: Mapping[] }> }>)
      .then((h) => setList(Object.values(h.components ?? {}).flatMap((c) => c.topicMappings ?? [])), fail);
  }, [fail]);
  return (
    <section className="task-screen" data-testid="screen-mappings">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note" data-testid="mappings-readonly">
          {t('readOnly')}
        </p>
        <FormError errors={errors} />
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : list.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <table className="admin-table" data-testid="mappings-table">
            <thead>
              <tr>
                <th scope="col">{t('col.topic')}</th>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.metrics')}</th>
                <th scope="col">{t('col.profile')}</th>
                <th scope="col">{t('col.name')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((m, i) => (
                <tr key={`${m.topic}-${i}`} data-testid={`mapping-row-${i}`}>
                  <td>
                    <code>{m.topic}</code>
                  </td>
                  <td>{m.device ?? t('deviceDefault')}</td>
                  <td>{m.metrics ?? ''}</td>
                  <td>{m.profile ?? ''}</td>
                  <td>{m.name ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
