/** Every scenario of the issue, in order; the pending ones are listed in docs/benchmarks.md. */
import { StatefulScenario } from './stateful.js';
import { StatelessScenario } from './stateless.js';
import type { Scenario } from './types.js';
import { WindowedScenario } from './windowed.js';

export function allScenarios(): Scenario[] {
  return [
    new StatelessScenario(10),
    new StatefulScenario(),
    new WindowedScenario(),
    {
      name: 'recovery',
      implemented: false,
      title: 'Recovery: rebuild a table from its changelog',
      work:
        'Start a worker on the changelog of the stateful scenario and time how long it takes to restore the table ' +
        'before it processes its first event.',
      blockedBy: 'builds on the stateful scenario',
    },
  ];
}
