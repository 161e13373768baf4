import type { DemoRig } from './rig.js';

/** One act of the demo's story: what changes on the link when it starts, and how long it lasts. */
export interface Phase {
  name: string;
  /** What a person sees happening. */
  caption: string;
  durationMs: number;
  /** A file to send as the act begins (index into the rig's files). */
  file?: number;
  enter(rig: DemoRig): Promise<void>;
}

/** The story: a healthy link; 30% of connections reset; a total outage; 429s with Retry-After; recovery. */
/** `cutUploadsAfterBytes`: in the flaky act, every upload connection is reset after this many bytes. */
export function story(scale: number, cutUploadsAfterBytes: number): Phase[] {
  const ms = (seconds: number) => Math.round(seconds * 1000 * scale);
  const cutText = `${Math.round((cutUploadsAfterBytes / 1024 / 1024) * 10) / 10} MB`;
  return [
    {
      name: 'healthy',
      caption: 'a healthy link: operations and a file go straight through',
      durationMs: ms(10),
      file: 0,
      enter: async () => {},
    },
    {
      name: 'flaky',
      caption: `connections reset — 30% of replies lost after the server applied them, and every upload cut after ${cutText}`,
      durationMs: ms(14),
      file: 1,
      enter: async ({ proxy }) => {
        proxy.addToxic({
          name: 'lost-replies',
          type: 'reset',
          probability: 0.3,
          afterBytes: 60,
          direction: 'downstream',
        });
        proxy.addToxic({
          name: 'cut-uploads',
          type: 'reset',
          afterBytes: cutUploadsAfterBytes,
          direction: 'upstream',
        });
      },
    },
    {
      name: 'outage',
      caption: 'total outage: nothing gets through, and work keeps being queued',
      durationMs: ms(8),
      enter: async ({ proxy }) => {
        await proxy.refuse({ resetExisting: true, reason: 'the demo cut the link' });
      },
    },
    {
      name: 'pushback',
      caption: 'the link is back, but the server answers 429 with Retry-After: 2',
      durationMs: ms(8),
      file: 2,
      enter: async ({ proxy, server }) => {
        proxy.removeToxic('lost-replies');
        proxy.removeToxic('cut-uploads');
        await proxy.accept();
        server.injectPushback({ status: 429, retryAfterSeconds: 2 });
      },
    },
    {
      name: 'recovery',
      caption: 'all clear: the queue drains by itself',
      durationMs: ms(60),
      enter: async ({ server }) => {
        server.clearPushback();
      },
    },
  ];
}

/** Operations the demo enqueues each second, in every act but the last. */
export const OPERATIONS_PER_SECOND = 6;
