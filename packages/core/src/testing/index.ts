/**
 * Test helpers for Strom users: run an agent without a broker.
 *
 * @example
 * import { testAgent } from '@strom/core/testing'
 */

export type { DeadLetterRecord, HarnessOptions, SentRecord } from './agent-harness.js';
export { AgentHarness, testAgent } from './agent-harness.js';
