/** Every scenario of the issue, in order; the pending ones are listed in docs/benchmarks.md. */
import { StatelessScenario } from './stateless.js';
import type { Scenario } from './types.js';

export function allScenarios(): Scenario[] {
  return [
    new StatelessScenario(10),
    {
      name: 'stateful',
      implemented: false,
      title: 'Stateful: groupBy + table count with changelog',
      work:
        'Re-key the rides by `vendorId` (`groupBy`, through a repartition topic), count rides per vendor in a table ' +
        'whose changes go to a compacted changelog topic; timed to the last changelog record acknowledged; checked: ' +
        'the final counts per vendor read from the changelog.',
      blockedBy:
        'the Strom, kafkajs and Faust programs and the changelog check are still to be written (Strom has tables)',
    },
    {
      name: 'windowed',
      implemented: false,
      title: 'Windowed: 1-minute tumbling count per pickup zone',
      work:
        'Count rides per `PULocationID` in 1-minute tumbling windows on `tpep_pickup_datetime` (event time); ' +
        'checked: the final count of every (zone, window) read from the changelog.',
      blockedBy:
        "the three programs and the window check are still to be written (Strom's windowed tables are new)",
    },
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
