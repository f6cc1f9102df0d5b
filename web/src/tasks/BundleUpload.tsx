import { useId, useMemo, useState } from 'react';
import { ApiError } from '../api.js';
import { useServices } from '../services.js';
import { useTranslation } from '../i18n/index.js';
import { useFormErrors, type FormErrors } from './form.js';
import { Field, FormError } from './ui.js';
import { AdminApi, base64Of } from './admin-api.js';

const MAX_FILES = 16;

/**
 * A refusal of POST /serve-ml/bundles at its field whatever its status: the manifest's own fields
 * come back as `manifest.<field>` (400), a version that exists as `model_version` (409, also the
 * manifest's), a missing or bad file as `files.<name>`.
 */
function atField(err: unknown): FormErrors | null {
  if (!(err instanceof ApiError)) return null;
  const b = (err.body && typeof err.body === 'object' ? err.body : {}) as { error?: unknown; field?: unknown; rule?: unknown };
  if (typeof b.field !== 'string' || typeof b.rule !== 'string' || err.status === 401 || err.status === 403 || err.status === 429) return null;
  const field = b.field === 'model_version' ? 'manifest.model_version' : b.field;
  return { fields: { [field]: { rule: b.rule, message: typeof b.error === 'string' ? b.error : err.message } }, form: null };
}

/** Upload a model bundle (operator): its manifest.json and model files; the manifest's errors at its fields. */
export function BundleUpload({ onChanged }: { onChanged(): void }) {
  const { api } = useServices();
  const admin = useMemo(() => new AdminApi(api), [api]);
  const { t, i18n } = useTranslation('modelupload');
  const form = useFormErrors();
  const [manifest, setManifest] = useState<File | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const listId = useId();
  const words = (e: { rule: string; message?: string }) =>
    i18n.exists(`modelupload:rule.${e.rule}`) ? t(`rule.${e.rule}` as 'rule.json') : (e.message ?? e.rule);
  // Manifest and file errors are listed under their inputs, each by the field the API named.
  const nested = (prefix: string) => Object.entries(form.errors.fields).filter(([k]) => k.startsWith(prefix));

  const upload = async (el: HTMLFormElement) => {
    setDone(null);
    const extra: FormErrors['fields'] = {};
    if (files.length > MAX_FILES) extra.files = { rule: 'maxProperties' };
    if (!form.validate(el, extra) || !manifest) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await manifest.text());
    } catch (err) {
      form.set({ fields: { manifest: { rule: 'json', message: (err as Error).message } }, form: null });
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      form.set({ fields: { manifest: { rule: 'object' } }, form: null });
      return;
    }
    setBusy(true);
    try {
      const encoded: Record<string, string> = {};
      for (const f of files) encoded[f.name] = await base64Of(f);
      const b = await admin.uploadBundle(parsed, encoded);
      setDone(b.id);
      form.clear();
      onChanged();
    } catch (err) {
      const at = atField(err);
      if (at) form.set(at);
      else form.fail(err);
    } finally {
      setBusy(false);
    }
  };

  const list = (prefix: string, testid: string) => {
    const items = nested(prefix);
    if (!items.length) return null;
    return (
      <div role="alert" id={`${listId}-${testid}`}>
        <ul className="task-error" data-testid={testid}>
          {items.map(([k, e]) => (
            <li key={k} data-testid={`field-error-${k}`} data-rule={e.rule}>
              <code>{k.slice(prefix.length)}</code>: {words(e)}
            </li>
          ))}
        </ul>
      </div>
    );
  };
  const shown = Object.keys(form.errors.fields).filter((k) => k === 'manifest' || k === 'files' || k.startsWith('manifest.') || k.startsWith('files.'));

  return (
    <form
      className="panel task-form"
      noValidate
      data-testid="bundle-upload-form"
      onSubmit={(e) => {
        e.preventDefault();
        void upload(e.currentTarget);
      }}
    >
      <h2>{t('title')}</h2>
      <p className="task-note">{t('note')}</p>
      <div className="task-grid">
        <div>
          <Field label={t('manifest')} name="manifest" errors={form.errors} ruleNs="modelupload">
            {(p) => (
              <input
                {...p}
                type="file"
                accept=".json,application/json"
                required
                aria-invalid={p['aria-invalid'] || nested('manifest.').length > 0}
                aria-describedby={[p['aria-describedby'], nested('manifest.').length ? `${listId}-manifest-errors` : ''].filter(Boolean).join(' ') || undefined}
                onChange={(e) => setManifest(e.target.files?.[0] ?? null)}
                data-testid="bundle-manifest"
              />
            )}
          </Field>
          {nested('manifest.').length > 0 && <p className="task-note">{t('manifestErrors')}</p>}
          {list('manifest.', 'manifest-errors')}
        </div>
        <div>
          <Field label={t('files')} name="files" errors={form.errors} hint={t('filesHint')} ruleNs="modelupload">
            {(p) => (
              <input
                {...p}
                type="file"
                multiple
                aria-invalid={p['aria-invalid'] || nested('files.').length > 0}
                onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
                data-testid="bundle-files"
              />
            )}
          </Field>
          {list('files.', 'files-errors')}
        </div>
      </div>
      <FormError errors={form.errors} shown={shown} ruleNs="modelupload" />
      {done && (
        <p className="hint" role="status" data-testid="bundle-uploaded" data-bundle={done}>
          {t('done', { id: done })}
        </p>
      )}
      <div className="action-buttons">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="bundle-upload">
          {busy ? t('running') : t('run')}
        </button>
      </div>
    </form>
  );
}
