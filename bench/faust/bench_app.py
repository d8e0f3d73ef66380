"""The Faust (faust-streaming) side of `pnpm bench`: the same work as bench/systems/*/.

Run by bench/run.ts as `.venv/bin/faust -A bench_app worker -l warn` from bench/faust/,
configured by environment variables (the topics exist already; the harness creates them):

  BENCH_SCENARIO   stateless (the only scenario implemented so far)
  BENCH_BROKER     host:port of the broker
  BENCH_GROUP      application id = consumer group, fresh for every run
  BENCH_INPUT      the input topic (4 partitions, JSON rides, key b'{"vendorId":n}')
  BENCH_PROBE      the latency-probe topic (read like the input, fed after the timed part)
  BENCH_OUTPUT     the output topic
  BENCH_THRESHOLD  stateless: keep rides with total_amount >= this
  BENCH_DATADIR    Faust's data directory (a temporary directory)

Progress lines for the harness go to stdout as `@@bench {json}`.
"""

import json
import os
import sys
import time

import faust

SCENARIO = os.environ.get("BENCH_SCENARIO", "stateless")
BROKER = os.environ.get("BENCH_BROKER", "127.0.0.1:9092")


def report(**fields):
    sys.stdout.write("@@bench " + json.dumps(fields) + "\n")
    sys.stdout.flush()


app = faust.App(
    os.environ["BENCH_GROUP"],
    broker="kafka://" + BROKER,
    store="memory://",
    datadir=os.environ["BENCH_DATADIR"],
    # at-least-once, acks from all in-sync replicas: the same guarantee as the other systems
    processing_guarantee="at_least_once",
    producer_acks=-1,
    topic_partitions=4,
    topic_replication_factor=1,
    web_enabled=False,
)

# keys pass through as bytes, values are JSON (dicts), as in the other systems
source = app.topic(
    os.environ["BENCH_INPUT"],
    os.environ["BENCH_PROBE"],
    key_type=bytes,
    key_serializer="raw",
    value_serializer="json",
)
output = app.topic(os.environ["BENCH_OUTPUT"], key_type=bytes, key_serializer="raw", value_serializer="json")

first = [False]

if SCENARIO == "stateless":
    THRESHOLD = float(os.environ["BENCH_THRESHOLD"])

    @app.agent(source)
    async def stateless(stream):
        async for key, ride in stream.items():
            if not first[0]:
                first[0] = True
                report(first=time.time() * 1000)
            if ride["total_amount"] >= THRESHOLD:
                await output.send(key=key, value=ride)

else:
    raise SystemExit(f"bench_app: scenario {SCENARIO!r} is not implemented for Faust yet")


@app.task
async def on_started():
    report(ready=time.time() * 1000)
