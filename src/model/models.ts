/** Model bundles, predictions, fitting and backtests as the API shows them; declared once in schemas/models.ts. */
import type { Static } from '@sinclair/typebox';
import type {
  BundleViewSchema,
  DeviceHealthSchema,
  FitRequestSchema,
  LoadErrorSchema,
  ModelOutputsSchema,
  ModelBacktestPointSchema,
  ModelBacktestRequestSchema,
  ModelBacktestSchema,
  PredictionSchema,
  RulStatsSchema,
} from './schemas/models.js';

/** A bundle as GET /serve-ml/bundles lists it. */
export type BundleView = Static<typeof BundleViewSchema>;
/** A bundle folder that failed to load, and why. */
export type LoadError = Static<typeof LoadErrorSchema>;
/** What one run of a bundle on one window says; each output is stored as a series of the device. */
export type ModelOutputs = Static<typeof ModelOutputsSchema>;
export type Prediction = Static<typeof PredictionSchema>;
/** GET /rul/health/{device}: the latest prediction and a status. */
export type DeviceHealth = Static<typeof DeviceHealthSchema>;
export type FitRequest = Static<typeof FitRequestSchema>;
export type ModelBacktestRequest = Static<typeof ModelBacktestRequestSchema>;
export type ModelBacktestPoint = Static<typeof ModelBacktestPointSchema>;
export type ModelBacktest = Static<typeof ModelBacktestSchema>;
export type RulStats = Static<typeof RulStatsSchema>;
