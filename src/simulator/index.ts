/**
 * The simulator: loopback force feeds of every kind and shape, with drifting figures and faults on
 * demand, for the demo, the tests and the benchmarks. Its data is made up and labelled simulated.
 */
export type {
  Expected,
  ExpectedFigure,
  FeedRequest,
  Simulator,
  SimulatorAddress,
  SimulatorOptions,
} from './simulator';
export { DEFAULT_DRIFT_INTERVAL_MS, DEFAULT_SEED, createSimulator } from './simulator';
export type { DriftVariant, Fault, FaultInput, FaultMode, MalformedVariant } from './faults';
export {
  DRIFT_VARIANTS,
  FAULT_MODES,
  FaultError,
  MALFORMED_VARIANTS,
  PII_CANARIES,
  faultSchema,
  parseFault,
} from './faults';
export type { FeedDefinition } from './layout';
export { MAX_COUNT_FEEDS, TOTALS_FEED_ID, layoutCountFeeds, layoutFeeds } from './layout';
export type { GatewayConfigDocument, GatewayConfigOptions } from './gateway-config';
export { SIMULATED_CONFIG_HEADER, SIMULATED_SOURCE_DEFAULTS, gatewayConfigYaml } from './gateway-config';
export type { RenderedBody } from './render';
