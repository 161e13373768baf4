/**
 * lifeline/node — what runs on Node: the durable queue and failure log on SQLite, the state directory and
 * configuration, a TCP probe, and a fast keep-alive transport for resilientFetch.
 */
export {
  type AgentHealth,
  healthResetRequestedAtMs,
  readAgentHealth,
  requestHealthReset,
  writeAgentHealth,
} from './agent-health.js';
export { CONFIG_FILE, expandEnv, type LoadedConfig, loadConfig, parseConfig } from './config.js';
export { configSchema, type LifelineConfig } from './config-schema.js';
export { DirectoryWatcher, type WatchedFile } from './directory-watcher.js';
export { createDurableQueue, type DurableQueueOptions } from './durable-queue.js';
export { FileSource, SourceChangedError, SourceMissingError } from './file-source.js';
export { isProcessOwnerAlive, processOwner } from './process-owner.js';
export { DEFAULT_SERVER, openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export { type OpenOptions, openDatabase, type SchemaSpec, type SqliteDatabase } from './sqlite.js';
export { SqliteFailureStore, type SqliteFailureStoreOptions } from './sqlite-failure-store.js';
export { SqliteQueueStore, type SqliteQueueStoreOptions } from './sqlite-queue-store.js';
export { SqliteUploadStateStore } from './sqlite-upload-state-store.js';
export { ensureDirectory, stateDirectory } from './state-dir.js';
export { tcpProbe } from './tcp-probe.js';
export { createUndiciFetch, type UndiciFetch, type UndiciFetchOptions } from './undici-fetch.js';
export { undiciTusTransport } from './undici-tus-transport.js';
export {
  type UploadOperation,
  type UploadOperationResult,
  uploadHandler,
  uploadOperation,
} from './upload-operation.js';
