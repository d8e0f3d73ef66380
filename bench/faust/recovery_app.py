"""The recovery scenario on Faust, the same as bench/systems/{strom,kafkajs}/recovery.ts.

bench_app.py calls define(app, report) when BENCH_SCENARIO=recovery; the app's store is
BENCH_STORE (memory:// or rocksdb://, rocksdict). The table `counts` (default=int) is restored
from its changelog `<group>-counts-changelog`, which the harness wrote with JSON keys and values,
as Faust writes them (a Table with no key_type/value_type serializes both as JSON). Faust pauses
the probe partitions until the table is restored, so a probe runs once recovery is done.

Reports on stdout (see bench/systems/recovery-table.ts): "assigned" (the on_partitions_assigned
signal: Faust has its partitions and has started its recovery), "first", "probe<p>" (the value
the probe of partition p found), "restored" (a probe of every partition processed), then the
table's digest "tableKeys", "tableSum", "tableHash" and "recordsRead" (changelog records applied
to the table: a wrapper counts what Faust's recovery passes to apply_changelog_batch).
"""

import os
import time
import zlib
import json

PARTITIONS = 4


def define(app, report):
    counts = app.Table("counts", default=int, partitions=PARTITIONS)
    changelog = counts.changelog_topic_name
    if changelog != os.environ["BENCH_OUTPUT"]:
        raise SystemExit(f"the table's changelog is {changelog}, the harness wrote {os.environ['BENCH_OUTPUT']}")

    records_read = [0]
    apply = counts.apply_changelog_batch

    def counting_apply(batch):
        records_read[0] += len(batch)
        apply(batch)

    counts.apply_changelog_batch = counting_apply

    assigned = [False]

    @app.on_partitions_assigned.connect
    async def on_assigned(sender, assigned_tps, **kwargs):
        if not assigned[0]:
            assigned[0] = True
            report(assigned=time.time() * 1000)

    probes = app.topic(os.environ["BENCH_PROBE"], key_serializer="json", value_serializer="json")
    seen = set()

    @app.agent(probes)
    async def recovery(stream):
        async for event in stream.events():
            now = time.time() * 1000
            partition = event.message.partition
            value = counts[event.key]
            if not seen:
                report(first=now)
            report(**{f"probe{partition}": value})
            if partition in seen:
                continue
            seen.add(partition)
            if len(seen) < PARTITIONS:
                continue
            report(restored=now)
            keys = total = digest = 0
            for key, v in counts.items():
                keys += 1
                total += v
                digest = (digest + zlib.crc32(f"{key}\t{json.dumps(v)}".encode())) % 2**32
            report(tableKeys=keys, tableSum=total, tableHash=digest, recordsRead=records_read[0])

    return recovery
