/**
 * lifeline/testing — tools for testing code that must survive bad networks: a chaos proxy that injects
 * real faults on real TCP sockets, and the fake clock. Node only.
 */
export { FakeClock } from '../core/fake-clock.js';
export { type Random, seededRandom } from '../core/random.js';
export { type ChaosCounters, type ChaosEvents, ChaosProxy, type ChaosProxyOptions } from './chaos-proxy.js';
export { describeToxic, type Toxic, type ToxicDirection, type ToxicSpec, type ToxicType } from './toxics.js';
