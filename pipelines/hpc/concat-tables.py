"""Concatenate the Parquet shards of a sharded `simulate` run, in the order given.

    python concat-tables.py ensemble-shards/ensemble-*.parquet -o ensemble.parquet

The shards of one run hold contiguous slices of the members, so concatenated
in task order they are the table one unsharded run writes. The file-level
`piml.*` metadata (the model, tool, version, seed) must agree between shards
and is carried over; `piml.command` is the first shard's. Needs pyarrow.
"""

import argparse
import os
import sys
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

# Keys that differ between the shards of one run by construction.
PER_SHARD = {b"piml.command"}


def piml_metadata(path):
    kv = pq.read_metadata(path).metadata or {}
    return {k: v for k, v in kv.items() if k.startswith(b"piml.")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shards", nargs="+")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()

    first = piml_metadata(args.shards[0])
    tables = []
    for path in args.shards:
        meta = piml_metadata(path)
        for key in (first.keys() | meta.keys()) - PER_SHARD:
            if meta.get(key) != first.get(key):
                sys.exit(f"{path}: metadata {key.decode()} differs from {args.shards[0]}'s: not a shard of the same run")
        table = pq.read_table(path)
        if tables and table.schema.names != tables[0].schema.names:
            sys.exit(f"{path}: columns {table.schema.names} differ from {args.shards[0]}'s {tables[0].schema.names}")
        tables.append(table.replace_schema_metadata(None))
    merged = pa.concat_tables(tables).replace_schema_metadata(first)
    # Written beside the output and renamed: a failed run leaves no half file.
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.output)), suffix=".partial")
    os.close(fd)
    try:
        pq.write_table(merged, partial, compression="zstd")
        os.replace(partial, args.output)
    except BaseException:
        os.unlink(partial)
        raise


if __name__ == "__main__":
    main()
