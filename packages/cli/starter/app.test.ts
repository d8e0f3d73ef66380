import { testAgent } from '@strom/core/testing';
import { expect, test } from 'vitest';
import { countRides, vendorRides } from './app.js';

test('counts paid rides per vendor and dead-letters bad records', async () => {
  const harness = await testAgent(countRides);
  await harness.send({ vendorId: 1, total_amount: 12.5 });
  await harness.send({ vendorId: 2, total_amount: 7 });
  await harness.send({ vendorId: 1, total_amount: 30 });
  await harness.send({ vendorId: 2, total_amount: -7 }); // a refund: filtered out
  await harness.sendBytes('{"vendorId": "one", "total_amount": 3}'); // fails the schema

  expect(await vendorRides.toObject()).toEqual({ '1': 2, '2': 1 });
  expect(harness.deadLetters).toHaveLength(1);
  expect(harness.deadLetters[0]?.reason).toContain('vendorId');
  await harness.stop();
});
