export { FailureLog, type FailureLogOptions } from './failure-log.js';
export { type FailureStore, MemoryFailureStore } from './failure-store.js';
export type { FailurePattern, PatternOptions, PatternType } from './patterns.js';
export type { FailureContext, FailureRecord, Severity } from './records.js';
export type { FailureStats, OperationRate, TopError } from './stats.js';
