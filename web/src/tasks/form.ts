import { useCallback, useState } from 'react';
import { ApiError } from '../api.js';

/** What a refused form says: per field (shown at its input) and for the form as a whole. */
export interface FormErrors {
  /** field name as the API names it (e.g. "value", "clear.low", "metrics.v.min") -> rule (e.g. "required") and the server's sentence. */
  fields: Record<string, { rule: string; message?: string }>;
  form: { status?: number; rule?: string | null; message: string; retryAfterSec?: number | null } | null;
}

const NONE: FormErrors = { fields: {}, form: null };

/**
 * The rules the browser checks, under the names the API's JSON schema gives them, so a field
 * refused here reads the same as one refused by the server.
 */
export function browserRule(v: ValidityState): string | null {
  if (v.valueMissing) return 'required';
  if (v.patternMismatch) return 'pattern';
  if (v.rangeUnderflow) return 'minimum';
  if (v.rangeOverflow) return 'maximum';
  if (v.tooShort) return 'minLength';
  if (v.tooLong) return 'maxLength';
  if (v.badInput || v.typeMismatch || v.stepMismatch) return 'type';
  if (v.customError) return 'custom';
  return null;
}

/** Every invalid named control of a form, by its name (the API field it sends). */
export function checkForm(form: HTMLFormElement): FormErrors['fields'] {
  const out: FormErrors['fields'] = {};
  for (const el of Array.from(form.elements)) {
    const c = el as HTMLInputElement;
    if (!c.name || !c.validity || c.validity.valid) continue;
    const rule = browserRule(c.validity);
    if (rule) out[c.name] = { rule, message: rule === 'custom' ? c.validationMessage : undefined };
  }
  return out;
}

/** A refusal from the API ({ error, field, rule }) as form errors: at the field when it names one. */
export function fromFailure(err: unknown): FormErrors {
  if (err instanceof ApiError) {
    const b = (err.body && typeof err.body === 'object' ? err.body : {}) as { error?: unknown; field?: unknown; rule?: unknown };
    const message = typeof b.error === 'string' ? b.error : err.message;
    if (err.status === 400 && typeof b.field === 'string' && typeof b.rule === 'string')
      return { fields: { [b.field]: { rule: b.rule, message } }, form: null };
    return { fields: {}, form: { status: err.status, rule: err.rule, message, retryAfterSec: err.retryAfterSec } };
  }
  return { fields: {}, form: { message: err instanceof Error ? err.message : String(err) } };
}

export function useFormErrors(): {
  errors: FormErrors;
  fail(err: unknown): void;
  set(e: FormErrors): void;
  clear(): void;
  /** Checks the form as the browser can; true when it may be sent. */
  validate(form: HTMLFormElement, extra?: FormErrors['fields']): boolean;
} {
  const [errors, setErrors] = useState<FormErrors>(NONE);
  const fail = useCallback((err: unknown) => setErrors(fromFailure(err)), []);
  const clear = useCallback(() => setErrors(NONE), []);
  const validate = useCallback((form: HTMLFormElement, extra: FormErrors['fields'] = {}) => {
    const fields = { ...checkForm(form), ...extra };
    setErrors({ fields, form: null });
    const first = Object.keys(fields)[0];
    if (first) (form.elements.namedItem(first) as HTMLElement | null)?.focus?.();
    return !first;
  }, []);
  return { errors, fail, set: setErrors, clear, validate };
}
