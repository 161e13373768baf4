/** Typed events. Library code emits; the CLI, the failure log and users listen. */

export type Listener<E> = (event: E) => void;
export type Unsubscribe = () => void;

/** The listening half, for types that expose events without letting others emit them. */
export interface EventSource<Events extends object> {
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): Unsubscribe;
}

/** A listener's exception must not break the component that emitted: report it like an uncaught error. */
function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    queueMicrotask(() => {
      throw error;
    });
}

export class Emitter<Events extends object> implements EventSource<Events> {
  private readonly listeners = new Map<keyof Events, Array<Listener<never>>>();
  /** Listeners of any event: most emitters have none, and then `listening` costs one comparison. */
  private subscribed = 0;

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): Unsubscribe {
    const list = this.listeners.get(name) ?? [];
    // Copy on write: an emit in progress keeps its own snapshot.
    this.listeners.set(name, [...list, listener as Listener<never>]);
    this.subscribed++;
    let subscribedNow = true;
    return () => {
      const current = this.listeners.get(name);
      if (!current || !subscribedNow) return;
      subscribedNow = false;
      this.subscribed--;
      const index = current.indexOf(listener as Listener<never>);
      const next = index < 0 ? current : [...current.slice(0, index), ...current.slice(index + 1)];
      if (next.length > 0) this.listeners.set(name, next);
      else this.listeners.delete(name);
    };
  }

  /** Subscribes for one event only. */
  once<K extends keyof Events>(name: K, listener: Listener<Events[K]>): Unsubscribe {
    const unsubscribe = this.on(name, (event) => {
      unsubscribe();
      listener(event);
    });
    return unsubscribe;
  }

  /** Whether anyone listens: check before building an event that costs something to build. */
  protected listening(name: keyof Events): boolean {
    return this.subscribed !== 0 && this.listeners.has(name);
  }

  protected emit<K extends keyof Events>(name: K, event: Events[K]): void {
    if (this.subscribed === 0) return;
    const list = this.listeners.get(name);
    if (!list) return;
    for (const listener of list) {
      try {
        (listener as Listener<Events[K]>)(event);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }
}
