import type { Static } from '@sinclair/typebox';
import type { AuditEntrySchema } from './schemas/auth.js';

/**
 * One change made through the API, as the audit log keeps it (declared once in schemas/auth.ts).
 * Times are epoch ms (UTC); before, request and after are JSON text with secrets masked.
 */
export type AuditEntry = Static<typeof AuditEntrySchema>;

export interface AuditQuery {
  limit: number;
  /** Only entries with id below this (paging backwards). */
  before?: number;
  actor?: string;
  /** Route pattern prefix, e.g. /api/v1/rules. */
  route?: string;
  method?: string;
  target?: string;
  from?: number;
  to?: number;
}
