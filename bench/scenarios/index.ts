/** Every scenario of the issue, in order; the pending ones are listed in docs/benchmarks.md. */
import { RecoveryScenario } from './recovery.js';
import { StatefulScenario } from './stateful.js';
import { StatelessScenario } from './stateless.js';
import type { Scenario } from './types.js';
import { WindowedScenario } from './windowed.js';

export function allScenarios(): Scenario[] {
  return [new StatelessScenario(10), new StatefulScenario(), new WindowedScenario(), new RecoveryScenario()];
}
