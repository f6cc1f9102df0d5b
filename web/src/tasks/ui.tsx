import { useId, type ReactNode } from 'react';
import type { Role } from '../../../src/model/auth.js';
import { roleAtLeast } from '../auth/identity.js';
import { useIdentity } from '../hooks/useIdentity.js';
import { useTranslation } from '../i18n/index.js';
import type { Namespace } from '../i18n/catalogues.js';
import type { FormErrors } from './form.js';

/** The role in force, or null before the server said. */
export function useRole(): Role | null {
  const id = useIdentity();
  return id.status === 'ready' ? id.identity.role : null;
}

export function useCan(needed: Role): boolean {
  return roleAtLeast(useRole(), needed);
}

type RuleError = { rule: string; message?: string };

/**
 * A field's refusal in words: the rule translated (words for this field's rule first, e.g. "order"
 * at "from"; then a screen's own words under `<ns>:rule.<rule>`; then the shared ones), with the
 * server's sentence when the rule has no words of its own.
 */
export function useRuleText(ns?: Namespace): (e: RuleError, field?: string) => string {
  const { t, i18n } = useTranslation('tasks');
  return (e, field) => {
    if (field && !field.includes('.') && i18n.exists(`tasks:ruleAt.${field}.${e.rule}`)) return t(`ruleAt.${field}.${e.rule}` as 'rule.required');
    if (ns && i18n.exists(`${ns}:rule.${e.rule}`)) return i18n.t(`${ns}:rule.${e.rule}` as 'tasks:rule.required');
    return i18n.exists(`tasks:rule.${e.rule}`) ? t(`rule.${e.rule}` as 'rule.required') : (e.message ?? e.rule);
  };
}

/** A labelled control with its error underneath, tied by aria-describedby; `name` is the API field. */
export function Field({
  label,
  name,
  errors,
  hint,
  ruleNs,
  children,
}: {
  label: string;
  name: string;
  errors: FormErrors;
  hint?: string;
  /** The screen whose catalogue words its rules first (see useRuleText). */
  ruleNs?: Namespace;
  children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const text = useRuleText(ruleNs);
  const err = errors.fields[name];
  const described = [err ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`task-field${err ? ' task-field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': !!err, 'aria-describedby': described })}
      {hint && (
        <span className="task-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {err && (
        <span className="task-error" id={`${id}-err`} data-testid={`field-error-${name}`} data-rule={err.rule}>
          {text(err, name)}
        </span>
      )}
    </div>
  );
}

/** The form-wide refusal (role too low, rate limit, unreachable), and any field error no input shows. */
export function FormError({ errors, shown = [], ruleNs }: { errors: FormErrors; shown?: string[]; ruleNs?: Namespace }) {
  const { t } = useTranslation('tasks');
  const text = useRuleText(ruleNs);
  const role = useRole();
  const f = errors.form;
  const stray = Object.entries(errors.fields).filter(([k]) => !shown.includes(k));
  if (!f && !stray.length) return null;
  let line: string | null = null;
  if (f) {
    if (f.status === 403 || f.rule === 'forbidden') line = t('failure.forbidden', { role: role ?? '?' });
    else if (f.status === 429) line = f.retryAfterSec != null ? t('failure.rateLimitedFor', { seconds: f.retryAfterSec }) : t('failure.rateLimited');
    else if (f.status === 401) line = t('failure.signIn');
    else if (f.status === 404) line = t('failure.notFound', { message: f.message });
    else line = t('failure.other', { message: f.message });
  }
  return (
    <div className="hint hint-error" role="alert" data-testid="form-error">
      {line}
      {stray.map(([k, e]) => (
        <div key={k}>
          {k}: {text(e, k)}
        </div>
      ))}
    </div>
  );
}

/** Said instead of a form to a role that may not use it. */
export function RoleNote({ needed }: { needed: Role }) {
  const { t } = useTranslation('tasks');
  const role = useRole();
  return (
    <p className="task-note" data-testid="role-note">
      {t('roleNeeded', { needed: t(`roles.${needed}`), role: role ? t(`roles.${role}`) : '?' })}
    </p>
  );
}
