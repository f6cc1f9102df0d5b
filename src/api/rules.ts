import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { AlarmServices } from './alarm-context.js';
import type { Rule, RuleInput } from '../model/alarm.js';
import { errorResponses } from './schemas.js';
import { TimeParam } from '../model/schemas/common.js';
import { notFound } from './errors.js';
import { backtestRule } from '../alarms/backtest.js';
import { buildRule } from '../alarms/rules.js';
import { timeRange } from './time.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';

/** The ruleId a backtest of an unsaved rule answers with. */
export const UNSAVED = 'unsaved';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

export async function ruleRoutes(
  app: FastifyInstance,
  ctx: { devices: DeviceRegistry; readGuard?: ReadGuard; store: Pick<Store, 'alarms'>; alarmServices: Pick<AlarmServices, 'engine' | 'analyticsOptions'> },
): Promise<void> {
  const { engine } = ctx.alarmServices;

  app.get(
    '/api/v1/rules',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Alarm rules',
        response: { 200: { type: 'object', properties: { rules: { type: 'array', items: { $ref: 'Rule#' } } } } },
      },
    },
    async () => ({
      rules: engine.listRules(),
    }),
  );

  app.post<{ Body: RuleInput }>(
    '/api/v1/rules',
    { schema: { tags: ['alarms'], summary: 'Create a rule', body: { $ref: 'RuleInput#' }, response: { 201: { $ref: 'Rule#' }, 400: { $ref: 'Error#' } } } },
    async (req, reply) => reply.code(201).send(await engine.createRule(req.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/rules/:id',
    { schema: { tags: ['alarms'], summary: 'One rule', params: idParams, response: { 200: { $ref: 'Rule#' }, ...errorResponses } } },
    async (req) => {
      const r = engine.listRules().find((x) => x.id === req.params.id);
      if (!r) throw notFound(`rule ${req.params.id}`);
      return r;
    },
  );

  app.put<{ Params: { id: string }; Body: RuleInput }>(
    '/api/v1/rules/:id',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Replace a rule (pending delays restart; open alarms stay until the new clear condition holds)',
        params: idParams,
        body: { $ref: 'RuleInput#' },
        response: { 200: { $ref: 'Rule#' }, ...errorResponses },
      },
    },
    async (req) => {
      const r = await engine.updateRule(req.params.id, req.body);
      if (!r) throw notFound(`rule ${req.params.id}`);
      return r;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/rules/:id',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Delete a rule (its open alarms are cleared; history stays)',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!(await engine.deleteRule(req.params.id))) throw notFound(`rule ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  /** Replays [from, to] (default: the last 24 h) through a rule, on the read workers, within the caller's read budget. */
  const backtest = (req: FastifyRequest<{ Querystring: { from?: string; to?: string } }>, rule: Rule) => {
    const { from, to } = timeRange(req.query, 24 * 3600_000);
    return (ctx.readGuard ?? unguarded).run(
      readCaller(req),
      () => backtestRule(ctx.store.alarms, ctx.devices.list(), rule, from, to, ctx.alarmServices.analyticsOptions),
      (r) => r.readings,
    );
  };

  app.post<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/api/v1/rules/:id/backtest',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Replay stored history (default: the last 24 h) through the rule with the live evaluation code, from a blank state; returns the alarms it would have raised. Works on disabled rules.',
        params: idParams,
        querystring: { type: 'object', properties: { from: TimeParam, to: TimeParam } },
        response: { 200: { $ref: 'BacktestResult#' }, ...errorResponses },
      },
    },
    async (req) => {
      const rule = engine.listRules().find((x) => x.id === req.params.id);
      if (!rule) throw notFound(`rule ${req.params.id}`);
      return backtest(req, rule);
    },
  );

  app.post<{ Body: RuleInput; Querystring: { from?: string; to?: string } }>(
    '/api/v1/rules/backtest',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Backtest a rule that is not saved: the body is a rule as POST /api/v1/rules takes it, checked the same way, replayed as the saved-rule backtest does (ruleId "unsaved"). Nothing is stored.',
        body: { $ref: 'RuleInput#' },
        querystring: { type: 'object', properties: { from: TimeParam, to: TimeParam } },
        response: { 200: { $ref: 'BacktestResult#' }, ...errorResponses },
      },
    },
    // buildRule is what createRule checks a body with; the rule it builds is never given to the engine or the store.
    async (req) => backtest(req, { ...buildRule(req.body), id: UNSAVED }),
  );
}
