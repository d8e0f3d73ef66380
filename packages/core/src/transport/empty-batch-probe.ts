/**
 * Finds record batches that compaction emptied, which kafkajs cannot read past.
 *
 * When the log cleaner removes the records of an aborted transaction it keeps the producer's last
 * batch, with no records, to preserve the producer's state. If that empty batch ends a segment, a
 * fetch from inside it returns only the empty batch; kafkajs 2.2.4 decodes it to nothing, emits
 * no batch event and fetches the same offset again, forever (kafkajs#1072). The Java consumer
 * moves its position to the batch's end instead.
 *
 * This module sends that one Fetch itself (protocol v4, read_committed, plaintext or TLS) and
 * reads only the batch headers: if the batches at `offset` hold no records, it returns the offset
 * after them. It never skips a batch that holds records, so using it cannot lose data.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

const FETCH_API_KEY = 1;
const FETCH_VERSION = 4;
const READ_COMMITTED = 1;
const PROBE_MAX_BYTES = 1024 * 1024;
const PROBE_TIMEOUT_MS = 10_000;

// record batch (magic 2) header: field offsets from the start of the batch
const BATCH_LENGTH_AT = 8;
const LAST_OFFSET_DELTA_AT = 23;
const RECORDS_COUNT_AT = 57;
const BATCH_HEADER_SIZE = 61;
const BATCH_LENGTH_OVERHEAD = 12; // baseOffset + batchLength are not counted in batchLength

export interface BrokerAddress {
  host: string;
  port: number;
}

/** Encodes a Fetch v4 request for one partition, read_committed, no waiting. */
export function encodeFetchRequest(
  correlationId: number,
  clientId: string,
  topic: string,
  partition: number,
  offset: bigint,
): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const name = Buffer.from(topic, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 * 4 + 1 + 4 + 2 + name.length + 4 + 4 + 8 + 4);
  let at = 0;
  at = body.writeInt16BE(FETCH_API_KEY, at);
  at = body.writeInt16BE(FETCH_VERSION, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(client.length, at);
  at += client.copy(body, at);
  at = body.writeInt32BE(-1, at); // replica id: a consumer
  at = body.writeInt32BE(0, at); // max wait: answer at once
  at = body.writeInt32BE(0, at); // min bytes
  at = body.writeInt32BE(PROBE_MAX_BYTES, at);
  at = body.writeInt8(READ_COMMITTED, at);
  at = body.writeInt32BE(1, at); // one topic
  at = body.writeInt16BE(name.length, at);
  at += name.copy(body, at);
  at = body.writeInt32BE(1, at); // one partition
  at = body.writeInt32BE(partition, at);
  at = body.writeBigInt64BE(offset, at);
  body.writeInt32BE(PROBE_MAX_BYTES, at);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

export interface FetchedPartition {
  errorCode: number;
  /** The records of the fetch: a sequence of record batches, the last one possibly cut off. */
  records: Buffer;
}

/** Decodes a Fetch v4 response (without its size prefix) for the one partition asked for. */
export function decodeFetchResponse(response: Buffer): FetchedPartition {
  let at = 4 + 4; // correlation id, throttle time
  const topics = response.readInt32BE(at);
  at += 4;
  if (topics !== 1) throw new Error(`fetch probe: expected 1 topic in the response, got ${topics}`);
  at += 2 + response.readInt16BE(at); // topic name
  const partitions = response.readInt32BE(at);
  at += 4;
  if (partitions !== 1)
    throw new Error(`fetch probe: expected 1 partition in the response, got ${partitions}`);
  at += 4; // partition
  const errorCode = response.readInt16BE(at);
  at += 2 + 8 + 8; // error code, high watermark, last stable offset
  const aborted = response.readInt32BE(at);
  at += 4 + Math.max(0, aborted) * 16;
  const length = response.readInt32BE(at);
  at += 4;
  return { errorCode, records: length > 0 ? response.subarray(at, at + length) : Buffer.alloc(0) };
}

/**
 * The offset after the run of empty batches that starts the fetched records, or undefined when
 * the first batch holds records (or nothing complete was fetched): then there is nothing to skip.
 */
export function offsetAfterEmptyBatches(records: Buffer, from: bigint): bigint | undefined {
  let at = 0;
  let next: bigint | undefined;
  while (records.length - at >= BATCH_HEADER_SIZE) {
    const size = BATCH_LENGTH_OVERHEAD + records.readInt32BE(at + BATCH_LENGTH_AT);
    if (records.length - at < size) break; // cut off by max bytes
    if (records.readInt32BE(at + RECORDS_COUNT_AT) > 0) break;
    const end = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + LAST_OFFSET_DELTA_AT)) + 1n;
    if (end > from) next = end;
    at += size;
  }
  return next;
}

/** Sends one request and returns the response without its size prefix. */
function exchange(address: BrokerAddress, tls: boolean, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls
      ? connectTls({ host: address.host, port: address.port, servername: address.host })
      : connectTcp({ host: address.host, port: address.port });
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => fail(new Error('fetch probe: the broker did not answer')));
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const all = Buffer.concat(chunks);
      const size = all.readInt32BE(0);
      if (all.length < 4 + size) return;
      socket.end();
      resolve(all.subarray(4, 4 + size));
    });
    socket.write(request);
  });
}

let correlation = 0;

/**
 * Asks the partition's leader for the batches at `offset`; returns the offset after them if they
 * are all empty (see the module comment), else undefined.
 */
export async function probeEmptyBatches(
  leader: BrokerAddress,
  options: { tls: boolean; clientId: string },
  topic: string,
  partition: number,
  offset: bigint,
): Promise<bigint | undefined> {
  correlation = (correlation + 1) % 0x7fffffff;
  const request = encodeFetchRequest(correlation, options.clientId, topic, partition, offset);
  const fetched = decodeFetchResponse(await exchange(leader, options.tls, request));
  if (fetched.errorCode !== 0) return undefined; // leadership moving, or similar: try again later
  return offsetAfterEmptyBatches(fetched.records, offset);
}
