import type { EventSource } from '../core/events.js';
import type { OperationQueue } from '../queue/operation-queue.js';
import type { ResumableUpload } from '../transfer/resumable-upload.js';
import type { UploadRunEvents } from './upload-operation.js';

/**
 * `queue pause` holds uploads already on the wire too, not only the items still to start: an hour-long
 * upload is the link's biggest user, and a person who pauses the queue wants the link back now. Each
 * upload the handler runs is paused (its request cut; the server keeps what arrived) when the queue
 * pauses — here or, noticed within a poll, from another process — and resumes from the server's offset
 * when the queue resumes.
 */
export function holdUploadsWhilePaused(
  queue: OperationQueue,
  uploads: EventSource<UploadRunEvents>,
): () => void {
  const running = new Set<ResumableUpload>();
  const offs = [
    uploads.on('started', ({ upload }) => {
      running.add(upload);
      if (queue.isPaused) upload.pause();
    }),
    uploads.on('ended', ({ upload }) => running.delete(upload)),
    queue.on('paused', () => {
      for (const upload of running) upload.pause();
    }),
    queue.on('resumed', () => {
      for (const upload of running) upload.resume();
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
