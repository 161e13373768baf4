export { ConnectivityMonitor } from './connectivity-monitor.js';
export type {
  ConnectivityChange,
  ConnectivityEvents,
  ConnectivityMonitorOptions,
  ConnectivitySnapshot,
  ProbeEvent,
  ProbeTrigger,
  WaitForOnlineOptions,
} from './connectivity-types.js';
export { type HttpProbeOptions, httpProbe, ProbeStatusError } from './http-probe.js';
export { isLinkFailure } from './link-failure.js';
export type { ConnectivityState, Probe, ProbeContext, ProbeResult } from './probe.js';
export { LEVEL_THRESHOLDS, OFFLINE_LOSS_ABOVE, type QualityLevel } from './quality-level.js';
export {
  type LevelChange,
  type QualityEvents,
  QualityMonitor,
  type QualityMonitorOptions,
  type QualitySample,
  type QualitySnapshot,
  type ScoreChange,
} from './quality-monitor.js';
export { type Recommendations, SHARE_OF_MAX, type TransferAdvice } from './recommendations.js';
