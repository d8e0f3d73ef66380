"""The Faust (faust-streaming) side of `pnpm bench`: the same work as bench/systems/*/.

Run by bench/run.ts as `.venv/bin/faust -A bench_app worker --without-web -l warn` from bench/faust/,
configured by environment variables (the topics exist already; the harness creates them):

  BENCH_SCENARIO     stateless, stateful or windowed
  BENCH_BROKER       host:port of the broker
  BENCH_GROUP        application id = consumer group, fresh for every run
  BENCH_INPUT        the input topic (4 partitions, JSON rides, key b'{"vendorId":n}')
  BENCH_PROBE        the latency-probe topic (read like the input, fed after the timed part)
  BENCH_OUTPUT       the output topic; stateful, windowed: the table's changelog topic
  BENCH_THRESHOLD    stateless: keep rides with total_amount >= this
  BENCH_REPARTITION  stateful, windowed: the repartition topic
  BENCH_DATADIR      Faust's data directory (a temporary directory)
  BENCH_STORE        the tables' store: memory (default) or rocksdb
  BENCH_STATEDIR     recovery: the data directory instead, kept across a restart

The recovery scenario is in recovery_app.py.

Progress lines for the harness go to stdout as `@@bench {json}`.
"""

import json
import os
import sys
import time
from datetime import datetime, timedelta

import faust

SCENARIO = os.environ.get("BENCH_SCENARIO", "stateless")
BROKER = os.environ.get("BENCH_BROKER", "127.0.0.1:9092")


def report(**fields):
    sys.stdout.write("@@bench " + json.dumps(fields) + "\n")
    sys.stdout.flush()


app = faust.App(
    os.environ["BENCH_GROUP"],
    broker="kafka://" + BROKER,
    store=os.environ.get("BENCH_STORE", "memory") + "://",
    datadir=os.environ.get("BENCH_STATEDIR") or os.environ["BENCH_DATADIR"],
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

elif SCENARIO in ("stateful", "windowed"):
    # group_by to an explicit topic: derived from `source` (two topics) Faust would name two
    # repartition topics and could not send to them; the harness created this one (and the
    # changelog) for every system alike
    repartition = app.topic(
        os.environ["BENCH_REPARTITION"],
        key_type=int,
        key_serializer="json",
        value_serializer="json",
        partitions=4,
        internal=True,
    )

    def check_changelog(table):
        name, expected = table.changelog_topic_name, os.environ["BENCH_OUTPUT"]
        if name != expected:
            raise SystemExit(f"bench_app: the changelog is {name}, the harness made {expected}")

    def group_key(field):
        # the key function sees every input ride first: the start of the timed part
        def key_of(ride):
            if not first[0]:
                first[0] = True
                report(first=time.time() * 1000)
            return ride[field]

        return key_of

    if SCENARIO == "stateful":
        vendor_rides = app.Table("vendor_rides", default=int, key_type=int, value_type=int, partitions=4)
        check_changelog(vendor_rides)

        @app.agent(source)
        async def stateful(stream):
            async for ride in stream.group_by(group_key("vendorId"), name="vendorId", topic=repartition):
                vendor_rides[ride["vendorId"]] += 1

    else:

        def pickup_time(event):
            # "2020-07-01T00:25:32Z" -> seconds since the epoch (Faust's windows are in seconds)
            return datetime.fromisoformat(event.value["tpep_pickup_datetime"]).timestamp()

        # Faust expires windows against the wall clock (every table_cleanup_interval), not
        # against event time, and has no grace: with 2020 pickup times any usual `expires` would
        # delete every window at the first cleanup and start its count again. 100 years keeps
        # them all, as the other systems do (their grace outlasts the input's span).
        zone_table = app.Table("zone_rides_per_minute", default=int, key_type=int, value_type=int, partitions=4)
        zone_rides = zone_table.tumbling(60, expires=timedelta(days=36500)).relative_to(pickup_time)
        check_changelog(zone_table)

        @app.agent(source)
        async def windowed(stream):
            by_zone = stream.group_by(group_key("PULocationID"), name="pickupZone", topic=repartition)
            async for ride in by_zone:
                zone_rides[ride["PULocationID"]] += 1

elif SCENARIO == "recovery":
    from recovery_app import define

    define(app, report)

else:
    raise SystemExit(f"bench_app: scenario {SCENARIO!r} is not implemented for Faust yet")


@app.task
async def on_started():
    report(ready=time.time() * 1000)
