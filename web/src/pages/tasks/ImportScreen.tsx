import { useEffect, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatCount } from '../../state/format.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';
import { importCheckpoint, importFile, importFormatOf, importKeyOf, type ImportCheckpoint, type ImportSummary } from '../../tasks/admin-api.js';
import { clearPending, loadPending, savePending, type PendingImport } from '../../state/import-pending.js';
import { taskHref } from '../../tasks/routes.js';

const FIELDS = ['file', 'device', 'format', 'map', 'start'];

/** A byte count in the language's units (kB, MB). */
function bytes(n: number, lang: string): string {
  const [value, unit] = n >= 1e6 ? [n / 1e6, 'megabyte'] : n >= 1e3 ? [n / 1e3, 'kilobyte'] : [n, 'byte'];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/**
 * Bulk import (POST /api/v1/import, operator): a CSV or NDJSON file with its device, sent with
 * upload progress; the server's counts (stored, already stored, same time, rejected with their
 * line, field and rule) as it answers them. An upload names its file (key: a hash of its head and
 * its size), so the server keeps a checkpoint per commit: after a reload or a dropped connection
 * the screen says where the import stands and continues it from there.
 */
export function ImportScreen() {
  const { session, api } = useServices();
  const { t } = useTranslation('imports');
  const { t: tt } = useTranslation('tasks');
  const { t: tr } = useTranslation('retention');
  const lang = currentLanguage();
  const canChange = useCan('operator');
  const form = useFormErrors();
  const [file, setFile] = useState<File | null>(null);
  const [device, setDevice] = useState('');
  const [format, setFormat] = useState<'' | 'csv' | 'ndjson'>('');
  const [map, setMap] = useState('');
  const [start, setStart] = useState('');
  const [applyRetention, setApplyRetention] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [result, setResult] = useState<{ file: string; summary: ImportSummary; before: ImportCheckpoint | null } | null>(null);
  // An import left unfinished (remembered in this browser) and where the server says it stands.
  const [pending, setPending] = useState<{ p: PendingImport; cp: ImportCheckpoint } | null>(null);
  // The chosen file: its key, and the server's checkpoint of it when an import of it stopped part-way.
  const [chosen, setChosen] = useState<{ file: File; key: string | null; cp: ImportCheckpoint | null } | null>(null);

  const unfinished = (cp: ImportCheckpoint | null) => (cp && !cp.done && cp.offset > 0 ? cp : null);

  useEffect(() => {
    if (!canChange) return;
    const p = loadPending();
    if (!p) return;
    importCheckpoint(api, p.key).then(
      (cp) => {
        if (!unfinished(cp)) return clearPending();
        setPending({ p, cp: cp! });
        // The form as it was sent.
        setDevice(p.device);
        setFormat(p.format);
        setMap(p.map);
        setStart(p.start);
        setApplyRetention(p.applyRetention);
      },
      () => {},
    );
  }, [api, canChange]);

  const choose = async (f: File | null) => {
    setFile(f);
    setChosen(null);
    if (!f) return;
    const key = await importKeyOf(f).catch(() => null);
    const cp = key ? await importCheckpoint(api, key).catch(() => null) : null;
    setChosen({ file: f, key, cp: unfinished(cp) });
  };

  const run = async (el: HTMLFormElement, resume: boolean) => {
    setResult(null);
    const extra: Record<string, { rule: string }> = {};
    const fmt = format || (file ? importFormatOf(file.name) : null);
    if (file && !fmt) extra.format = { rule: 'format' };
    if (!form.validate(el, extra) || !file || !fmt) return;
    const key = chosen?.file === file ? chosen.key : await importKeyOf(file).catch(() => null);
    const before = resume && chosen?.file === file ? chosen.cp : null;
    const q = { format: fmt, device: device.trim(), map: map.trim(), start: start.trim(), applyRetention };
    if (key) savePending({ key, file: file.name, size: file.size, ...q });
    setProgress({ sent: before?.offset ?? 0, total: file.size });
    try {
      const summary = await importFile(
        session,
        file,
        {
          ...q,
          device: q.device || undefined,
          map: q.map || undefined,
          start: q.start || undefined,
          key,
          ...(before ? { resumeAt: before.offset } : {}),
        },
        (sent, total) => setProgress({ sent, total }),
      );
      clearPending();
      setPending(null);
      setChosen({ file, key, cp: null });
      setResult({ file: file.name, summary, before });
    } catch (err) {
      form.fail(err);
      // Cut off part-way (or refused because the checkpoint moved on): where does it stand now?
      const cp = key ? await importCheckpoint(api, key).catch(() => null) : null;
      setChosen({ file, key, cp: unfinished(cp) });
    } finally {
      setProgress(null);
    }
  };

  if (!canChange)
    return (
      <section className="task-screen" data-testid="screen-import">
        <div className="panel">
          <h2>{t('title')}</h2>
          <p className="task-note">{t('note')}</p>
          <RoleNote needed="operator" />
        </div>
      </section>
    );

  const s = result?.summary;
  const resumable = chosen && chosen.file === file ? chosen.cp : null;
  return (
    <section className="task-screen" data-testid="screen-import">
      <form
        className="panel task-form"
        noValidate
        data-testid="import-form"
        onSubmit={(e) => {
          e.preventDefault();
          const submitter = (e.nativeEvent as SubmitEvent).submitter;
          void run(e.currentTarget, !!resumable && submitter?.getAttribute('data-testid') !== 'import-restart');
        }}
      >
        <h2>{t('title')}</h2>
        <p className="task-note">{t('note')}</p>
        {pending && !resumable && (
          <div className="hint import-pending" role="status" data-testid="import-pending" data-line={pending.cp.line} data-offset={pending.cp.offset}>
            {t('pendingNote', {
              file: pending.p.file,
              line: formatCount(pending.cp.line, lang),
              sent: bytes(pending.cp.offset, lang),
              total: bytes(pending.cp.size, lang),
              stored: formatCount(pending.cp.stored, lang),
            })}{' '}
            <button
              type="button"
              className="link-btn"
              onClick={() => {
                clearPending();
                setPending(null);
              }}
              data-testid="import-pending-forget"
            >
              {t('pendingForget')}
            </button>
          </div>
        )}
        <div className="task-grid">
          <Field label={t('file')} name="file" errors={form.errors} hint={t('fileHint')} ruleNs="imports">
            {(p) => (
              <input
                {...p}
                type="file"
                accept=".csv,.ndjson,.jsonl,.json,text/csv,application/x-ndjson"
                required
                onChange={(e) => void choose(e.target.files?.[0] ?? null)}
                data-testid="import-file"
              />
            )}
          </Field>
          <Field label={t('device')} name="device" errors={form.errors} hint={t('deviceHint')} ruleNs="imports">
            {(p) => <input {...p} value={device} onChange={(e) => setDevice(e.target.value)} maxLength={128} spellCheck={false} data-testid="import-device" />}
          </Field>
          <Field label={t('format')} name="format" errors={form.errors} ruleNs="imports">
            {(p) => (
              <select {...p} value={format} onChange={(e) => setFormat(e.target.value as '' | 'csv' | 'ndjson')} data-testid="import-format">
                <option value="">{t('formatAuto')}</option>
                <option value="csv">{t('formatCsv')}</option>
                <option value="ndjson">{t('formatNdjson')}</option>
              </select>
            )}
          </Field>
          <Field label={t('map')} name="map" errors={form.errors} hint={t('mapHint')} ruleNs="imports">
            {(p) => <input {...p} value={map} onChange={(e) => setMap(e.target.value)} maxLength={4096} spellCheck={false} data-testid="import-map" />}
          </Field>
          <Field label={t('start')} name="start" errors={form.errors} hint={t('startHint')} ruleNs="imports">
            {(p) => <input {...p} value={start} onChange={(e) => setStart(e.target.value)} maxLength={64} spellCheck={false} data-testid="import-start" />}
          </Field>
        </div>
        <label className="task-check">
          <input type="checkbox" checked={applyRetention} onChange={(e) => setApplyRetention(e.target.checked)} data-testid="import-apply-retention" />{' '}
          {t('applyRetention')}
        </label>
        <FormError errors={form.errors} shown={FIELDS} ruleNs="imports" />
        {progress && (
          <div className="import-progress" data-testid="import-progress">
            <progress value={progress.sent} max={progress.total || 1} aria-label={t('progressLabel')} />{' '}
            <span aria-live="polite">
              {progress.total > 0 && progress.sent >= progress.total
                ? t('processing')
                : t('sent', { sent: bytes(progress.sent, lang), total: bytes(progress.total, lang) })}
            </span>
          </div>
        )}
        {resumable && !progress && (
          <p className="hint" role="status" data-testid="import-resumable" data-line={resumable.line} data-offset={resumable.offset}>
            {t('resumeFound', {
              line: formatCount(resumable.line, lang),
              sent: bytes(resumable.offset, lang),
              total: bytes(resumable.size, lang),
              stored: formatCount(resumable.stored, lang),
            })}
          </p>
        )}
        <div className="action-buttons">
          <button type="submit" className="btn btn-primary" disabled={progress !== null} data-testid="import-run">
            {progress ? t('running') : resumable ? t('resumeRun', { line: formatCount(resumable.line, lang) }) : t('run')}
          </button>
          {resumable && !progress && (
            <button type="submit" className="btn" data-testid="import-restart">
              {t('restart')}
            </button>
          )}
        </div>
      </form>
      {s && result && (
        <div
          className="panel"
          data-testid="import-result"
          data-rows={s.rowsRead}
          data-stored={s.readingsStored}
          data-already={s.alreadyStored}
          data-same-time={s.sameTimeInFile}
          data-rejected={s.rejected}
        >
          <div className="panel-head">
            <h2>{t('result')}</h2>
          </div>
          <p className="task-note">
            {t('resultOf', { file: result.file, seconds: new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(s.seconds) })}
          </p>
          {s.resumedFromLine !== undefined && (
            <p className="task-note" data-testid="import-resumed" data-line={s.resumedFromLine}>
              {t('resumedFrom', { line: formatCount(s.resumedFromLine, lang), stored: formatCount(result.before?.stored ?? 0, lang) })}
            </p>
          )}
          <dl className="import-counts">
            {(['rowsRead', 'readingsStored', 'alreadyStored', 'sameTimeInFile', 'rejected', 'droppedByRetention'] as const).map((k) => (
              <div key={k} data-testid={`import-count-${k}`} data-value={s[k]}>
                <dt>{t(`count.${k}`)}</dt>
                <dd>{formatCount(s[k], lang)}</dd>
              </div>
            ))}
          </dl>
          {s.ignoredColumns && s.ignoredColumns.length > 0 && <p className="task-note">{t('ignoredColumns', { columns: s.ignoredColumns.join(', ') })}</p>}
          {s.retention.map((r) => (
            <p className="task-note" key={r.device} data-testid={`import-retention-${r.device}`}>
              {t('retentionNote', {
                device: r.device,
                retention: `${tr('hours', { value: formatCount(r.rawRetentionHours, lang) })} (${tr(`source.${r.source as 'default'}`)})`,
                kept: r.exempt ? t('exempt') : t('notExempt'),
              })}
            </p>
          ))}
          {s.warnings.length > 0 && (
            <div className="hint" role="status">
              <strong>{t('warnings')}</strong>
              <ul>
                {s.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
          {s.rejectedLines.length > 0 && (
            <>
              <h3>{t('rejectedTitle')}</h3>
              <p className="task-note">
                {t('rejectedFirst', { shown: formatCount(s.rejectedLines.length, lang), count: formatCount(s.rejected, lang) })}{' '}
                <a className="inline-link" href={taskHref('rejected')}>
                  {tt('screen.rejected')}
                </a>
              </p>
              <table className="admin-table" data-testid="import-rejected">
                <thead>
                  <tr>
                    <th scope="col">{t('col.line')}</th>
                    <th scope="col">{t('col.field')}</th>
                    <th scope="col">{t('col.rule')}</th>
                    <th scope="col">{t('col.error')}</th>
                  </tr>
                </thead>
                <tbody>
                  {s.rejectedLines.map((r, i) => (
                    <tr key={`${r.line}-${r.field}-${i}`} data-testid={`import-rejected-${r.line}`} data-field={r.field} data-rule={r.rule}>
                      <td>{formatCount(r.line, lang)}</td>
                      <td>
                        <code>{r.field}</code>
                      </td>
                      <td>
                        <code>{r.rule}</code>
                      </td>
                      <td>{r.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
}
