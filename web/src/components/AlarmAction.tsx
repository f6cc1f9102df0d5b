import { useState } from 'react';
import type { Alarm } from '../../../src/model/alarm.js';
import { useServices } from '../services.js';
import { ApiError } from '../api.js';
import { explainFailure } from '../auth/messages.js';
import { useIdentity } from '../hooks/useIdentity.js';
import { useTranslation } from '../i18n/index.js';

const NAME_KEY = 'fieldscope.operator';

export function operatorName(): string {
  try {
    return localStorage.getItem(NAME_KEY) || '';
  } catch {
    return '';
  }
}

/** Acknowledge or clear one alarm, with who did it and an optional comment. */
export function AlarmActionForm({ alarm, action, onDone }: { alarm: Alarm; action: 'ack' | 'clear'; onDone(result: Alarm | null): void }) {
  const { api, alarms } = useServices();
  const { t } = useTranslation('alarms');
  const id = useIdentity();
  const who = id.status === 'ready' ? id.identity : null;
  // Signed in, the record says who did it; anonymous (local demo), the operator types a name.
  const signedInAs = who && who.kind !== 'anonymous' ? who.name : null;
  const [typed, setBy] = useState(operatorName() || 'operator');
  const by = signedInAs ?? typed;
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const a = await api.alarmAction(alarm.id, action, by.trim() || 'operator', comment.trim());
      if (!signedInAs) {
        try {
          localStorage.setItem(NAME_KEY, by.trim());
        } catch {
          /* private mode */
        }
      }
      alarms.upsert([a]);
      onDone(a);
    } catch (err) {
      setError(
        err instanceof ApiError
          ? explainFailure({ status: err.status, rule: err.rule, message: err.message, retryAfterSec: err.retryAfterSec }, who?.role ?? null)
          : err instanceof Error
            ? err.message
            : String(err),
      );
      setBusy(false);
    }
  };
  return (
    <form className="action-form" onSubmit={submit} data-testid={`alarm-action-form-${alarm.id}`}>
      <div className="action-title">{t(`formTitle.${action}`, { id: alarm.id, device: alarm.device, rule: alarm.ruleName })}</div>
      <label>
        {t('by')}
        <input value={by} onChange={(e) => setBy(e.target.value)} readOnly={signedInAs !== null} maxLength={200} required data-testid="alarm-action-by" />
      </label>
      <label>
        {t('comment')}
        <textarea
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          maxLength={2000}
          rows={2}
          placeholder={t('commentPlaceholder')}
          data-testid="alarm-action-comment"
        />
      </label>
      {error && (
        <div className="hint hint-error" role="alert" data-testid="alarm-action-error">
          {error}
        </div>
      )}
      <div className="action-buttons">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="alarm-action-submit">
          {action === 'ack' ? t('acknowledge') : t('clear')}
        </button>
        <button type="button" className="btn" onClick={() => onDone(null)}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
