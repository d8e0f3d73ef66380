/**
 * The course's branch_price.py: rides of 40 or more go to the high-amount topic, the rest to
 * the low-amount topic, values forwarded unchanged. On rides.csv: 29 high, 237 low.
 *
 *   tsx examples/taxi/branch_price.ts worker
 */
import { App } from '@strom/core';
import { KEEP_HISTORY, RIDES_TOPIC, RIDES_TOPIC_OPTIONS, RideKey, TaxiRide } from './rides.js';

export const app = new App({ id: 'datatalksclub.stream.v3', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
export const highAmount = app.topic('datatalks.yellow_taxi_rides.high_amount', {
  key: RideKey,
  value: TaxiRide,
  config: KEEP_HISTORY,
});
export const lowAmount = app.topic('datatalks.yellow_taxi_rides.low_amount', {
  key: RideKey,
  value: TaxiRide,
  config: KEEP_HISTORY,
});

export const branchPrice = app.agent(rides, async (stream) => {
  stream.branch({
    high: { when: (ride) => ride.total_amount >= 40, to: highAmount },
    low: { to: lowAmount },
  });
});

app.main();
