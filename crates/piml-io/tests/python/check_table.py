#!/usr/bin/env python3
"""Check that a piml Parquet table opens unchanged in pyarrow, pandas, DuckDB and polars.

Usage: check_table.py TABLE.parquet COL1,COL2,... [--rows N]

For each reader the column names (in order) and the row count must match the
expected ones (the row count, without --rows, must match pyarrow's), and the
null count of every column must match pyarrow's (DuckDB, polars). With
pyarrow the file-level metadata must hold `piml.model` as a JSON object and
`piml.command` as a JSON array. polars is checked only when it is installed.
Prints one line per problem on stderr and exits 1 if there is any.
"""

import argparse
import json
import sys


def check_pyarrow(path):
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    problems = []
    metadata = pq.read_metadata(path).metadata or {}
    for key, kind in (("piml.model", dict), ("piml.command", list)):
        raw = metadata.get(key.encode())
        if raw is None:
            problems.append(f"no file-level metadata key {key}")
            continue
        try:
            value = json.loads(raw)
        except ValueError as err:
            problems.append(f"{key} is not JSON: {err}")
            continue
        if not isinstance(value, kind):
            problems.append(f"{key} is a {type(value).__name__}, expected a {kind.__name__}")
    nulls = {name: table.column(name).null_count for name in table.column_names}
    return table.column_names, table.num_rows, nulls, problems


def check_pandas(path):
    import pandas as pd

    frame = pd.read_parquet(path)
    # pandas counts NaN as missing too, so its null counts are not compared.
    return list(frame.columns), len(frame), None, []


def check_duckdb(path):
    import duckdb

    source = "'" + path.replace("'", "''") + "'"

    def scalar(sql):
        # fetchall() exists on DuckDB relations in every version; fetchone() no longer does.
        return duckdb.sql(sql).fetchall()[0][0]

    columns = duckdb.sql(f"select * from {source}").columns
    rows = scalar(f"select count(*) from {source}")
    nulls = {}
    for name in columns:
        ident = '"' + name.replace('"', '""') + '"'
        nulls[name] = scalar(f"select count(*) - count({ident}) from {source}")
    return columns, rows, nulls, []


def check_polars(path):
    import polars as pl

    frame = pl.read_parquet(path)
    nulls = {name: frame[name].null_count() for name in frame.columns}
    return frame.columns, frame.height, nulls, []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("columns", help="expected columns, comma separated, in order")
    parser.add_argument("--rows", type=int, help="expected number of rows")
    args = parser.parse_args()
    expected_columns = [c for c in args.columns.split(",") if c]

    readers = [("pyarrow", check_pyarrow), ("pandas", check_pandas), ("duckdb", check_duckdb)]
    try:
        import polars  # noqa: F401

        readers.append(("polars", check_polars))
    except ImportError:
        pass

    problems = []
    expected_rows, expected_nulls = args.rows, None
    for reader, check in readers:
        try:
            columns, rows, nulls, found = check(args.path)
        except Exception as err:  # any reader failure is a finding, not a crash
            problems.append(f"{reader}: cannot read: {type(err).__name__}: {err}")
            continue
        problems += [f"{reader}: {p}" for p in found]
        if list(columns) != expected_columns:
            problems.append(f"{reader}: columns {list(columns)}, expected {expected_columns}")
        if expected_rows is None:
            expected_rows = rows
        elif rows != expected_rows:
            problems.append(f"{reader}: {rows} rows, expected {expected_rows}")
        if nulls is not None:
            if expected_nulls is None:
                expected_nulls = nulls
            elif nulls != expected_nulls:
                problems.append(f"{reader}: null counts {nulls}, pyarrow {expected_nulls}")

    for problem in problems:
        print(f"{args.path}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
