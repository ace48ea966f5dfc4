#!/usr/bin/env python3
"""workmesh port: the `csv-summary` job type, in Python with the standard library only.

Speaks the port protocol (docs/ports.md): newline-delimited JSON on stdin and stdout.
Input:  {"csv": "<text>", "delimiter": ","}   (delimiter optional: sniffed when absent)
Value:  {"rows": N, "columns": [{"name", "filled", "empty", "distinct", "numeric",
         "min", "max", "mean", "median"}]}
"""
import csv
import io
import json
import statistics
import sys

TYPE = "csv-summary"


def send(message):
    # One line per message, flushed at once: the worker waits for it.
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def summarise(job_id, data):
    if not isinstance(data, dict) or not isinstance(data.get("csv"), str):
        raise ValueError("data must be an object with a string `csv`")
    text = data["csv"]
    delimiter = data.get("delimiter")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ValueError("the CSV is empty: no header row")
    cells = [[] for _ in header]
    rows = 0
    for row in reader:
        rows += 1
        for i, cell in enumerate(row[: len(header)]):
            cells[i].append(cell.strip())
        if rows % 10000 == 0:
            send({"kind": "progress", "id": job_id, "value": {"rows": rows}})
    columns = []
    for name, values in zip(header, cells):
        filled = [v for v in values if v != ""]
        numbers = [n for n in (as_number(v) for v in filled) if n is not None]
        column = {
            "name": name,
            "filled": len(filled),
            "empty": rows - len(filled),
            "distinct": len(set(filled)),
            "numeric": bool(filled) and len(numbers) == len(filled),
        }
        if column["numeric"]:
            column.update(
                min=min(numbers),
                max=max(numbers),
                mean=round(statistics.fmean(numbers), 6),
                median=statistics.median(numbers),
            )
        columns.append(column)
    send({"kind": "log", "id": job_id, "level": "debug", "message": f"{rows} rows, {len(header)} columns"})
    return {"rows": rows, "columns": columns}


def main():
    send({"kind": "hello", "protocol": 1, "types": [TYPE], "name": "csv_summary.py"})
    for line in sys.stdin:  # ends when the worker closes stdin: then exit
        if not line.strip():
            continue
        job = json.loads(line)
        job_id = job.get("id")
        if job.get("type") != TYPE:
            send({"kind": "error", "id": job_id, "message": f"unknown job type {job.get('type')!r}", "retryable": False})
            continue
        try:
            send({"kind": "ok", "id": job_id, "value": summarise(job_id, job.get("data"))})
        except (ValueError, csv.Error) as err:
            # Bad input: retrying cannot help.
            send({"kind": "error", "id": job_id, "message": str(err), "retryable": False})
        except Exception as err:  # anything else may be transient: let the policy retry
            send({"kind": "error", "id": job_id, "message": f"{type(err).__name__}: {err}", "retryable": True})


if __name__ == "__main__":
    main()
