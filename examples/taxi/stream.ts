/**
 * The course's stream.py: print every ride as it arrives.
 *
 *   tsx examples/taxi/stream.ts worker
 */
import { App } from '@strom/core';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS } from './rides.js';

export const app = new App({ id: 'datatalksclub.stream.v1', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);

export const startReading = app.agent(rides, async (stream) => {
  for await (const ride of stream) console.log(ride);
});

app.main();
