import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { AlarmServices } from './alarm-context.js';
import type { Rule } from '../model/alarm.js';
import { errorRef, errorResponses, noContent } from './schemas.js';
import { TimeParam } from '../model/schemas/common.js';
import { BacktestResultSchema, RuleInputSchema, RuleSchema } from '../model/schemas/alarms.js';
import { Ref } from '../model/schemas/kit.js';
import { notFound } from './errors.js';
import { backtestRule } from '../alarms/backtest.js';
import { buildRule } from '../alarms/rules.js';
import { timeRange } from './time.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';

/** The ruleId a backtest of an unsaved rule answers with. */
export const UNSAVED = 'unsaved';

const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const rangeQuery = Type.Object({ from: Type.Optional(TimeParam), to: Type.Optional(TimeParam) });
const ruleInput = Ref(RuleInputSchema);
const rule = Ref(RuleSchema);
const backtestResult = Ref(BacktestResultSchema);

export async function ruleRoutes(
  fastify: FastifyInstance,
  ctx: { devices: DeviceRegistry; readGuard?: ReadGuard; store: Pick<Store, 'alarms'>; alarmServices: Pick<AlarmServices, 'engine' | 'analyticsOptions'> },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = ctx.alarmServices;

  app.get(
    '/api/v1/rules',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Alarm rules',
        response: { 200: Type.Object({ rules: Type.Array(rule) }) },
      },
    },
    async () => ({
      rules: engine.listRules(),
    }),
  );

  app.post(
    '/api/v1/rules',
    { schema: { tags: ['alarms'], summary: 'Create a rule', body: ruleInput, response: { 201: rule, 400: errorRef } } },
    async (req, reply) => reply.code(201).send(await engine.createRule(req.body)),
  );

  app.get(
    '/api/v1/rules/:id',
    { schema: { tags: ['alarms'], summary: 'One rule', params: idParams, response: { 200: rule, ...errorResponses } } },
    async (req) => {
      const r = engine.listRules().find((x) => x.id === req.params.id);
      if (!r) throw notFound(`rule ${req.params.id}`);
      return r;
    },
  );

  app.put(
    '/api/v1/rules/:id',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Replace a rule (pending delays restart; open alarms stay until the new clear condition holds)',
        params: idParams,
        body: ruleInput,
        response: { 200: rule, ...errorResponses },
      },
    },
    async (req) => {
      const r = await engine.updateRule(req.params.id, req.body);
      if (!r) throw notFound(`rule ${req.params.id}`);
      return r;
    },
  );

  app.delete(
    '/api/v1/rules/:id',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Delete a rule (its open alarms are cleared; history stays)',
        params: idParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!(await engine.deleteRule(req.params.id))) throw notFound(`rule ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  /** Replays [from, to] (default: the last 24 h) through a rule, on the read workers, within the caller's read budget. */
  const backtest = (req: FastifyRequest, range: Static<typeof rangeQuery>, r: Rule) => {
    const { from, to } = timeRange(range, 24 * 3600_000);
    return (ctx.readGuard ?? unguarded).run(
      readCaller(req),
      () => backtestRule(ctx.store.alarms, ctx.devices.list(), r, from, to, ctx.alarmServices.analyticsOptions),
      (r) => r.readings,
    );
  };

  app.post(
    '/api/v1/rules/:id/backtest',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Replay stored history (default: the last 24 h) through the rule with the live evaluation code, from a blank state; returns the alarms it would have raised. Works on disabled rules.',
        params: idParams,
        querystring: rangeQuery,
        response: { 200: backtestResult, ...errorResponses },
      },
    },
    async (req) => {
      const rule = engine.listRules().find((x) => x.id === req.params.id);
      if (!rule) throw notFound(`rule ${req.params.id}`);
      return backtest(req, req.query, rule);
    },
  );

  app.post(
    '/api/v1/rules/backtest',
    {
      schema: {
        tags: ['alarms'],
        summary:
          'Backtest a rule that is not saved: the body is a rule as POST /api/v1/rules takes it, checked the same way, replayed as the saved-rule backtest does (ruleId "unsaved"). Nothing is stored.',
        body: ruleInput,
        querystring: rangeQuery,
        response: { 200: backtestResult, ...errorResponses },
      },
    },
    // buildRule is what createRule checks a body with; the rule it builds is never given to the engine or the store.
    async (req) => backtest(req, req.query, { ...buildRule(req.body), id: UNSAVED }),
  );
}
