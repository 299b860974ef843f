"""Property-based tests of the parameter-point CSV reader and writer (hepemu.data.points)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hepemu.data.points import InputError, read_points, write_points

COLUMNS = ("s12", "s14", "mH2")
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
names = st.text(
    alphabet=st.characters(categories=("L", "N"), include_characters="_"), min_size=1, max_size=6
).filter(lambda n: n.strip() == n)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write_text(text: str, encoding: str = "utf-8") -> Path:
    fh = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False)
    fh.write(text.encode(encoding, errors="surrogatepass"))
    fh.close()
    return Path(fh.name)


def as_csv(header, rows, line_end: str = "\n", bom: bool = False) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=line_end)
    w.writerow(header)
    w.writerows(rows)
    return ("\ufeff" if bom else "") + buf.getvalue()


@st.composite
def tables(draw):
    """A header holding the required columns among extra ones, in any order, and rows."""
    extra = draw(st.lists(names.filter(lambda n: n not in COLUMNS), max_size=3, unique=True))
    header = draw(st.permutations([*COLUMNS, *extra]))
    n = draw(st.integers(0, 6))
    rows = draw(st.lists(st.lists(finite, min_size=len(header), max_size=len(header)),
                         min_size=n, max_size=n))
    return header, rows


@SETTINGS
@given(tables(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_values_are_read_exactly_in_the_requested_order(table, line_end, bom):
    header, rows = table
    path = write_text(as_csv(header, [[repr(v) for v in r] for r in rows], line_end, bom))
    got = read_points(path, COLUMNS)
    idx = [header.index(c) for c in COLUMNS]
    expected = np.array([[r[j] for j in idx] for r in rows], dtype=float).reshape(-1, 3)
    np.testing.assert_array_equal(got.params, expected)
    assert got.header == list(header)


@SETTINGS
@given(tables(), st.integers(1, 3), st.booleans())
def test_a_row_with_more_or_fewer_fields_is_an_error_naming_it(table, k, more):
    header, rows = table
    rows = [[repr(v) for v in r] for r in rows] or [["1"] * len(header)]
    bad = len(rows)  # the last row, 1-based
    rows[-1] = rows[-1] + ["7"] * k if more else rows[-1][: max(len(header) - k, 1)]
    if len(rows[-1]) == len(header):
        return
    path = write_text(as_csv(header, rows))
    with pytest.raises(InputError, match=f"row {bad} has {len(rows[-1])} fields"):
        read_points(path, COLUMNS)


@SETTINGS
@given(tables(), st.data())
def test_a_duplicated_column_is_an_error(table, data):
    header, rows = table
    dup = data.draw(st.sampled_from(header))
    header = [*header, dup]
    path = write_text(as_csv(header, [[repr(v) for v in r] + ["0"] for r in rows]))
    with pytest.raises(InputError, match="duplicated"):
        read_points(path, COLUMNS)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_with_an_input_error(text):
    path = write_text(text)
    try:
        table = read_points(path, COLUMNS)
    except InputError:
        return
    assert table.params.shape == (len(table.rows), 3) and np.all(np.isfinite(table.params))


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_with_an_input_error(raw):
    fh = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False)
    fh.write(raw)
    fh.close()
    try:
        read_points(fh.name, COLUMNS)
    except InputError:
        pass


@SETTINGS
@given(tables(), st.lists(finite, min_size=6, max_size=6))
def test_written_columns_round_trip_exactly_with_lf(table, values):
    header, rows = table
    assume("I" not in header)  # an input column named like the output is refused, by design
    src = write_text(as_csv(header, [[repr(v) for v in r] for r in rows]))
    got = read_points(src, COLUMNS)
    extra = np.array((values * 2)[: len(rows)], dtype=float)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.csv"
        write_points(out, got, {"I": extra})
        raw = out.read_bytes()
        assert b"\r" not in raw
        back = list(csv.reader(io.StringIO(raw.decode())))
    assert back[0] == [*header, "I"]
    np.testing.assert_array_equal([float(r[-1]) for r in back[1:]], extra)
    assert [r[:-1] for r in back[1:]] == got.rows
