/**
 * Scenario 2, stateful: re-key the rides by vendorId through a repartition topic and count them
 * per vendor in a table whose every update goes to a compacted changelog (see table-count.ts for
 * the run and its checks).
 */
import type { TaxiRide } from '../../examples/taxi/rides.js';
import { TableCountScenario } from './table-count.js';

export class StatefulScenario extends TableCountScenario {
  readonly name = 'stateful';
  readonly title = 'Stateful: groupBy + table count with changelog';
  readonly work =
    'Decode each ride, re-key it by `vendorId` through a repartition topic of 4 partitions (Strom `groupBy`, ' +
    'Faust `group_by`, kafkajs: produce and consume it), count rides per vendor in a table whose every update ' +
    'is one record (key: the vendorId, value: the count, JSON) on a compacted changelog topic of 4 partitions, ' +
    "written to the partition of the ride's repartition partition; at-least-once (offsets committed after the " +
    'repartition and changelog records are acknowledged). The input has 2 vendors, so 2 of the 4 repartition ' +
    'and changelog partitions carry all the counting. Timed to the last changelog record appended; checked: the ' +
    'changelog holds exactly one record per ride (and the repartition topic one per ride), the counts of each ' +
    'vendor go 1, 2, 3, ... in offset order, and the last one equals the number of its rides in the input.';
  protected readonly repartitionName = 'vendorId';
  protected readonly tableName = 'vendor_rides';
  protected readonly cleanupPolicy = 'compact';

  protected tableKey(ride: TaxiRide): string {
    return String(ride.vendorId);
  }

  /** Every system writes the vendorId as JSON: `1`. */
  protected decodeKey(key: string): string | undefined {
    return /^\d+$/.test(key) ? key : undefined;
  }

  override inputFacts(): Record<string, string | number> {
    const vendors = [...this.expected].map(
      ([vendor, rides]) => `${vendor}: ${rides.toLocaleString('en-US')}`,
    );
    return { 'rides per vendor': vendors.join(', '), ...super.inputFacts() };
  }
}
