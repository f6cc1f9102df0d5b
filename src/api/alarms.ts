import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { AlarmServices } from './alarm-context.js';
import { ALARM_ORIGINS, ALARM_STATUSES, SEVERITIES, type Alarm, type AlarmQuery, type AlarmStatus, type Severity } from '../model/alarm.js';
import { errorRef, errorResponses } from './schemas.js';
import { AlarmEventSchema, AlarmSchema, AlarmStatsSchema } from '../model/schemas/alarms.js';
import { Ref, StringEnum } from '../model/schemas/kit.js';
import { TimeParam } from '../model/schemas/common.js';
import { DomainError, notFound } from './errors.js';
import { csvList, queryTime } from './time.js';
import { describePrincipal, type Principal } from '../auth/principal.js';

const idParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const actionBody = Type.Object(
  {
    by: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'who acts: taken from the signed-in user or API key when there is one; required only for anonymous callers',
      }),
    ),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

/** The name recorded on an alarm: a signed-in caller cannot act under someone else's name. */
function actor(principal: Principal | null | undefined, claimed: string | undefined): string {
  if (principal && (principal.kind === 'user' || principal.kind === 'api_key')) return describePrincipal(principal);
  if (!claimed) throw new DomainError(400, 'by is required when not signed in: say who acknowledges or clears', 'by', 'required');
  return claimed;
}

/**
 * The comment recorded with the action. A signed-in caller's `by` names no one (the caller is
 * recorded), but it may say on whose behalf they act: kept in the comment, never lost.
 */
function noteOf(principal: Principal | null | undefined, claimed: string | undefined, comment: string | undefined): string | null {
  const signedIn = principal && (principal.kind === 'user' || principal.kind === 'api_key');
  const onBehalf = signedIn && claimed && claimed !== describePrincipal(principal) ? `by: ${claimed}` : null;
  return [onBehalf, comment].filter(Boolean).join(' | ') || null;
}

function list<T extends string>(raw: string | undefined, allowed: readonly T[], field: string): T[] | undefined {
  const items = csvList(raw);
  for (const i of items ?? [])
    if (!(allowed as readonly string[]).includes(i))
      throw new DomainError(400, `${field} must be one or more of ${allowed.join(', ')} (comma-separated)`, field, 'enum');
  return items as T[] | undefined;
}

/** What the alarm routes use: the alarm sub-store and the alarm engine (and system alarms). */
export interface AlarmsApi {
  store: Pick<Store, 'alarms'>;
  alarmServices: Pick<AlarmServices, 'engine' | 'system'>;
}

export async function alarmRoutes(fastify: FastifyInstance, ctx: AlarmsApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = ctx.alarmServices;

  app.get(
    '/api/v1/alarms',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Alarms, newest first. status: active_unacked, active_acked, cleared_unacked, cleared_acked, or "open" (= both active ones); from/to filter on raisedAt',
        querystring: Type.Object({
          status: Type.Optional(Type.String({ description: 'comma-separated statuses, or open' })),
          severity: Type.Optional(Type.String({ description: 'comma-separated severities' })),
          device: Type.Optional(Type.String()),
          rule: Type.Optional(Type.String({ description: 'rule id' })),
          origin: Type.Optional(
            StringEnum(ALARM_ORIGINS, {
              description: 'system: alarms about Fieldscope itself (store, spool, broker, serial, channels, disk); device: alarms from rules',
            }),
          ),
          from: Type.Optional(TimeParam),
          to: Type.Optional(TimeParam),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
        }),
        response: {
          200: Type.Object({
            alarms: Type.Array(Ref(AlarmSchema)),
            storeUnavailable: Type.Optional(Type.Boolean({ description: 'true: the store did not answer; only the system alarms held in memory are listed' })),
          }),
          400: errorRef,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const status = q.status === 'open' ? (['active_unacked', 'active_acked'] as AlarmStatus[]) : list(q.status, ALARM_STATUSES, 'status');
      const severity = list<Severity>(q.severity, SEVERITIES, 'severity');
      const from = q.from === undefined ? undefined : queryTime(q.from, 'from', 0);
      const to = q.to === undefined ? undefined : queryTime(q.to, 'to', 0);
      const query: AlarmQuery = { status, severity, device: q.device, ruleId: q.rule, origin: q.origin, from, to, limit: q.limit ?? 500 };
      const system = ctx.alarmServices.system;
      let stored: Alarm[];
      try {
        stored = await ctx.store.alarms.listAlarms(query);
      } catch (err) {
        // The store being down is itself a system alarm: show what is held in memory rather than nothing.
        if (!system) throw err;
        return { alarms: system.held(query).slice(0, query.limit), storeUnavailable: true };
      }
      const extra = system?.notInStore(query) ?? [];
      if (!extra.length) return { alarms: stored };
      const merged = [...extra, ...stored].sort((a, b) => b.raisedAt - a.raisedAt || b.id - a.id);
      return { alarms: merged.slice(0, query.limit) };
    },
  );

  app.get(
    '/api/v1/alarms/stats',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Alarm counts by status and severity, per rule and per device (most alarms first), and the time from raise to acknowledge and to clear; from/to: the period, on raisedAt',
        querystring: Type.Object({
          from: Type.Optional(TimeParam),
          to: Type.Optional(TimeParam),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'rules and devices listed, each' })),
        }),
        response: { 200: Ref(AlarmStatsSchema), 400: errorRef },
      },
    },
    async (req) => {
      const q = req.query;
      const from = q.from === undefined ? undefined : queryTime(q.from, 'from', 0);
      const to = q.to === undefined ? undefined : queryTime(q.to, 'to', 0);
      if (from !== undefined && to !== undefined && from >= to) throw new DomainError(400, 'from must be before to', 'from', 'order');
      return ctx.store.alarms.alarmStats({ from, to, limit: q.limit ?? 50 });
    },
  );

  app.get(
    '/api/v1/alarms/:id',
    {
      schema: {
        tags: ['alarms'],
        summary: 'One alarm with its event history',
        params: idParams,
        response: {
          200: Type.Object({ alarm: Ref(AlarmSchema), events: Type.Array(Ref(AlarmEventSchema)) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const alarm = await ctx.store.alarms.getAlarm(req.params.id);
      if (!alarm) throw notFound(`alarm ${req.params.id}`);
      return { alarm, events: await ctx.store.alarms.listAlarmEvents(alarm.id) };
    },
  );

  for (const action of ['ack', 'clear'] as const) {
    app.post(
      `/api/v1/alarms/:id/${action}`,
      {
        schema: {
          tags: ['alarms'],
          summary:
            action === 'ack'
              ? 'Acknowledge an alarm (409 when already acknowledged)'
              : 'Clear an alarm by hand (409 when already cleared); the rule re-arms once its clear condition is seen',
          params: idParams,
          body: actionBody,
          response: { 200: Ref(AlarmSchema), ...errorResponses, 409: errorRef },
        },
      },
      async (req) => engine[action](req.params.id, actor(req.principal, req.body?.by), noteOf(req.principal, req.body?.by, req.body?.comment)),
    );
  }
}
