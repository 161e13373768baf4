import { Emitter } from '../core/events.js';
import { type BaseContext, contextFrom } from './context.js';
import { type ExecuteOptions, invoke, type Policy, type PolicyFunction } from './policy.js';

/**
 * How policies run, inside: continuation passing instead of a promise per layer.
 *
 * A promise per policy layer costs a promise allocation and a microtask hop each; for a fast call through
 * pipeline(retry, circuitBreaker, timeout) that was most of the cost. So each policy implements `run`:
 * it runs `next` (the layers inside it, then the function) and reports the outcome through `done`, exactly
 * once. A whole pipeline then costs one promise for the caller plus the function's own.
 *
 * Rules for `run`: set up state before calling `next` (it may call back synchronously on a refusal), never
 * throw (report through `done`), and call `done` exactly once.
 */
export type Done = (failed: boolean, result: unknown) => void;

/** The layers inside, then the function. */
export type Next = (context: BaseContext, done: Done) => void;

/** A policy that can be a layer of a pipeline. Its `execute` is a pipeline of one. */
export abstract class LayeredPolicy<Events extends object, Alternative = never>
  extends Emitter<Events>
  implements Policy<Alternative>
{
  declare readonly alternativeType: Alternative;

  abstract run(next: Next, context: BaseContext, done: Done): void;

  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T | Alternative> {
    return runLayers([this], functionStep(fn), contextFrom(options)) as Promise<T | Alternative>;
  }
}

/** The innermost step: call the function; its outcome settles the layers around it. */
export function functionStep<T>(fn: PolicyFunction<T>): Next {
  return (context, done) => {
    invoke(fn, context).then(
      (value) => done(false, value),
      (error) => done(true, error),
    );
  };
}

/** Runs `layers` (outermost first) around `last`, and returns the outcome as a promise. */
export function runLayers(layers: readonly Layer[], last: Next, context: BaseContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    chain(layers, 0, last)(context, (failed, result) => (failed ? reject(result) : resolve(result)));
  });
}

/** The step that runs layers[index…] around `last`. */
export function chain(layers: readonly Layer[], index: number, last: Next): Next {
  if (index === layers.length) return last;
  const layer = layers[index] as Layer;
  const inner = chain(layers, index + 1, last);
  return (context, done) => layer.run(inner, context, done);
}

export interface Layer {
  run(next: Next, context: BaseContext, done: Done): void;
}

/** Any other `Policy` (a user's own) as a layer: it runs through its own `execute`. */
export function asLayer(policy: Policy<unknown>): Layer {
  if (typeof (policy as Partial<Layer>).run === 'function') return policy as unknown as Layer;
  return {
    run(next, context, done) {
      policy
        .execute(
          (inner) =>
            new Promise((resolve, reject) =>
              next(contextFrom(inner), (failed, result) => (failed ? reject(result) : resolve(result))),
            ),
          context,
        )
        .then(
          (value) => done(false, value),
          (error) => done(true, error),
        );
    },
  };
}
