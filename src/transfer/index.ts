export { type ByteSource, BytesSource } from './byte-source.js';
export { ByteThrottle } from './byte-throttle.js';
export { DEFAULT_LOSS_MEMORY_MS, LinkHistory, processLinkHistory } from './link-history.js';
export { ResumableUpload, type ResumableUploadOptions, type UploadState } from './resumable-upload.js';
export { TusStatusError } from './tus-requests.js';
export { fetchTransport, type TusRequest, type TusResponse, type TusTransport } from './tus-transport.js';
export { ChecksumMismatchError, TusProtocolError } from './upload-errors.js';
export type { UploadEvents, UploadResult } from './upload-events.js';
export { MemoryUploadStateStore, type UploadRecord, type UploadStateStore } from './upload-state-store.js';
