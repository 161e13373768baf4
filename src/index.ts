/**
 * lifeline — keeps applications working over unreliable networks.
 * This entry point holds everything that runs anywhere (no Node-only modules).
 */

export * from './analytics/index.js';
export * from './core/index.js';
export * from './http/index.js';
export * from './network/index.js';
export * from './policy/index.js';
export * from './queue/index.js';
export * from './transfer/index.js';
