/**
 * lifeline/testing — tools for testing code that must survive bad networks: the fake clock now, and the
 * chaos proxy (real TCP faults) as it lands.
 */
export { FakeClock } from '../core/fake-clock.js';
export { type Random, seededRandom } from '../core/random.js';
