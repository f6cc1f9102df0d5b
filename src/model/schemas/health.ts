/** GET /health, declared once: the server answers it, the document lists it, probes and the dashboard read it. */
import { Type } from '@sinclair/typebox';
import { Dict, StringEnum } from './kit.js';

/** One component's state; each kind of component adds its own details (store engine and latency, spool depth, broker clients...). */
export const ComponentHealthSchema = Type.Unsafe<{ status: string; [detail: string]: unknown }>(
  Type.Object(
    { status: Type.String({ description: 'up, down, degraded, spooling, empty...' }) },
    { additionalProperties: true, description: "a component's state and its own details" },
  ),
);

export const HealthSchema = Type.Object(
  {
    status: StringEnum(['ok', 'degraded', 'down']),
    version: Type.String(),
    time: Type.Number({ description: 'server time, epoch ms' }),
    components: Dict(ComponentHealthSchema, { description: 'store, pipeline, spool, devices and each source (mqtt, http, serial...)' }),
  },
  { $id: 'Health' },
);
