"""The Athena queries of docs/observability.md, run as written with DuckDB over the local edge's log file.

The table they read is built the way Athena sees the Firehose output: the Glue table's columns from
template.yaml (names and types), over the JSON lines the local edge wrote, ``dt`` the UTC date. DuckDB has
no ``approx_percentile``; it is defined as ``quantile_cont`` (exact where Athena's is approximate). So the
queries in the docs are proven against the schema the stack deploys and the lines the code writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgedge.config import Config
from imgedge.device import device_class
from imgedge.local.server import LocalEdge, seed_samples
from imgedge.observability import LOG_FIELDS
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA, IPHONE_UA
from tooling.template import load_template

duckdb = pytest.importorskip("duckdb", reason="duckdb is a test dependency (pyproject's test extra)")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "observability.md"
IPAD_UA = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/17.4 Mobile/15E148 Safari/604.1")
HIVE_TO_DUCKDB = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
#: What the traffic below makes: per device class, the variants its requests generate.
TRAFFIC = {
    "mobile": (IPHONE_UA, CHROME_ACCEPT, ["/samples/lake-boats-4mp.jpg?w=1200", "/samples/cat.png?w=320",
                                          "/samples/cat.png?w=480&h=480", "/samples/grace-hopper-face.jpg"]),
    "tablet": (IPAD_UA, "image/webp,*/*", ["/samples/lake-boats-4mp.jpg?w=1080", "/samples/cat.png?w=320"]),
    "desktop": (CHROME_UA, "*/*", ["/samples/lake-boats-4mp.jpg?w=640", "/samples/field-panorama-alpha.png?w=640",
                                   "/samples/storm-landscape-exif6.jpg?w=320&fmt=png"]),
}


def glue_columns() -> list[tuple[str, str]]:
    template = load_template()
    (table,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Table"]
    columns = table["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    return [(c["Name"], c["Type"]) for c in columns]


def documented_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(), flags=re.S)


def test_the_glue_table_has_a_column_for_every_log_field():
    assert dict(glue_columns()) == LOG_FIELDS
    template = load_template()
    (table,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Table"]
    assert table["Properties"]["TableInput"]["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]


@pytest.fixture(scope="module")
def log_file(tmp_path_factory) -> Path:
    """The local edge's log after a morning of traffic: generations, cache hits (no lines), refusals."""
    root = tmp_path_factory.mktemp("observability")
    store = DirectoryStore(root / "bucket")
    seed_samples(store)
    store.put_original("samples/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
    edge = LocalEdge(store, Config(), log_path=root / "generations.jsonl")
    for device, (ua, accept, urls) in TRAFFIC.items():
        assert device_class(ua) == device
        for url in urls:
            for _ in range(2):  # the second is a cache hit: no generation, no line
                assert edge.handle("GET", url, {"User-Agent": ua, "Accept": accept})[0] == 200, url
    assert edge.handle("GET", "/samples/missing.jpg?w=320", {"User-Agent": CHROME_UA})[0] == 404
    assert edge.handle("GET", "/samples/broken.jpg?w=320", {"User-Agent": CHROME_UA})[0] == 422
    return root / "generations.jsonl"


@pytest.fixture(scope="module")
def db(log_file):
    con = duckdb.connect()
    columns = ", ".join(f"'{name}': '{HIVE_TO_DUCKDB[kind]}'" for name, kind in glue_columns())
    con.execute("CREATE SCHEMA imgedge_logs")
    con.execute(f"""
        CREATE VIEW imgedge_logs.generations AS
        SELECT *, substr(ts, 1, 10) AS dt
        FROM read_json('{log_file}', format = 'newline_delimited', columns = {{{columns}}})""")
    con.execute("CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)")
    return con


def run(db, sql: str) -> list[dict]:
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def lines(log_file: Path) -> list[dict]:
    return [json.loads(line) for line in log_file.read_text().splitlines()]


def test_the_docs_have_the_queries(db):
    queries = documented_queries()
    assert len(queries) == 4
    assert all("FROM imgedge_logs.generations" in q for q in queries)


def test_variants_generated_per_device_class(db, log_file):
    rows = run(db, documented_queries()[0])
    assert rows == [{"device": "mobile", "variants": 4}, {"device": "desktop", "variants": 3},
                    {"device": "tablet", "variants": 2}]


def test_p95_generation_time_by_format(db, log_file):
    rows = run(db, documented_queries()[1])
    generated = [line for line in lines(log_file) if line["outcome"] == "generated"]
    assert {r["format"]: r["generations"] for r in rows} == {
        fmt: sum(1 for line in generated if line["format"] == fmt) for fmt in {"avif", "webp", "jpeg", "png"}
        if any(line["format"] == fmt for line in generated)}
    for row in rows:
        totals = sorted(line["total_ms"] for line in generated if line["format"] == row["format"])
        assert min(totals) - 0.05 <= row["p95_total_ms"] <= max(totals) + 0.05  # rounded to 0.1 ms
        assert all(row[f"p95_{stage}_ms"] >= 0 for stage in ("fetch", "decode", "resize", "encode", "store"))
    assert [r["p95_total_ms"] for r in rows] == sorted((r["p95_total_ms"] for r in rows), reverse=True)


def test_bytes_saved_by_format(db, log_file):
    rows = run(db, documented_queries()[2])
    generated = [line for line in lines(log_file) if line["outcome"] == "generated"]
    assert sum(r["variants"] for r in rows) == len(generated) == 9
    assert sum(r["bytes_saved"] for r in rows) == sum(line["source_bytes"] - line["bytes"] for line in generated)
    avif = next(r for r in rows if r["format"] == "avif")
    assert avif["percent_saved"] == round(100 * (1 - avif["variant_bytes"] / avif["original_bytes"]), 1) > 50


def test_refusals_and_errors_by_reason(db):
    rows = run(db, documented_queries()[3])
    outcomes = sorted((r["outcome"], r["status"], r["requests"]) for r in rows)
    assert outcomes == [("refused", 404, 1), ("refused", 422, 1)]
    assert {r["reason"] for r in rows} >= {"no such image"}
