import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../../src/index.js';

class Thing extends Emitter<{ ping: { n: number }; pong: string }> {
  fire(n: number) {
    this.emit('ping', { n });
  }
  isListening() {
    return this.listening('ping');
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Emitter', () => {
  it('delivers typed events until unsubscribed', () => {
    const thing = new Thing();
    const seen: number[] = [];
    const off = thing.on('ping', (event) => seen.push(event.n));
    thing.fire(1);
    off();
    thing.fire(2);
    expect(seen).toEqual([1]);
    expect(thing.isListening()).toBe(false);
  });

  it('unsubscribing twice is harmless and removes only that subscription', () => {
    const thing = new Thing();
    const seen: string[] = [];
    const listener = () => seen.push('x');
    const first = thing.on('ping', listener);
    thing.on('ping', listener);
    first();
    first();
    thing.fire(1);
    expect(seen).toEqual(['x']);
  });

  it('once delivers one event', () => {
    const thing = new Thing();
    let count = 0;
    thing.once('ping', () => count++);
    thing.fire(1);
    thing.fire(2);
    expect(count).toBe(1);
  });

  it('a throwing listener does not stop the others, and its error is reported', () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    const thing = new Thing();
    const seen: number[] = [];
    thing.on('ping', () => {
      throw new Error('listener bug');
    });
    thing.on('ping', (event) => seen.push(event.n));
    thing.fire(7);
    expect(seen).toEqual([7]);
    expect(reported).toEqual([new Error('listener bug')]);
  });
});
