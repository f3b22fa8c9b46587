"""Parsing names for bulk personal certificates, and the exact split of kilograms."""

from __future__ import annotations

import pytest

from webapp.services.certificates.shares import (
    MAX_ROWS,
    ShareRow,
    SharesRefused,
    check_name,
    parse_csv,
    plan,
)


def _lines(error: SharesRefused) -> list[int | None]:
    return [e.line for e in error.errors]


def test_header_blank_lines_bom_and_optional_kilograms():
    data = '\ufeffname,kg\r\n王小林,500\r\n\r\n李梅,\r\nZhang Wei ,"1,000"\r\n'.encode()
    rows = parse_csv(data)
    assert rows == [
        ShareRow(line=2, name="王小林", kg=500),
        ShareRow(line=4, name="李梅", kg=None),
        ShareRow(line=5, name="Zhang Wei", kg=1000),
    ]


def test_gb18030_from_excel_and_chinese_header():
    rows = parse_csv("姓名,千克\n欧阳明月\n".encode("gb18030"))
    assert rows == [ShareRow(line=2, name="欧阳明月", kg=None)]


def test_quoted_names_may_hold_commas():
    assert parse_csv(b'"Li, Mei",20\n')[0] == ShareRow(line=1, name="Li, Mei", kg=20)


@pytest.mark.parametrize(
    "name",
    ["", "x" * 61, "a\u0000b", "bell\u0007", "rtl\u202eoverride", "zero\u200bwidth", "\ue000"],
)
def test_names_that_cannot_be_printed(name):
    assert check_name(name) is not None


@pytest.mark.parametrize("name", ["王小林", "Zhang Wei", "O'Neil-Smith", "x" * 60, "欧阳 明月"])
def test_names_that_can(name):
    assert check_name(name) is None


def test_every_bad_row_is_reported_and_nothing_is_returned():
    with pytest.raises(SharesRefused) as caught:
        parse_csv("好\n\x01坏\n好,abc\n好,1,2\n,5\n".encode())
    assert _lines(caught.value) == [2, 3, 4, 5]


def test_row_cap():
    assert len(parse_csv("".join(f"p{i}\n" for i in range(MAX_ROWS)).encode())) == MAX_ROWS
    with pytest.raises(SharesRefused):
        parse_csv("".join(f"p{i}\n" for i in range(MAX_ROWS + 1)).encode())


@pytest.mark.parametrize("data", [b"", b"name\n", b"\n\n", b"\xff\xfe\xff", b"a\x00b\n"])
def test_empty_or_unreadable_files(data):
    with pytest.raises(SharesRefused):
        parse_csv(data)


def test_plan_splits_exactly_and_never_exceeds():
    rows = [ShareRow(1, "a", 100), ShareRow(2, "b", None), ShareRow(3, "c", None)]
    assert plan(rows, 1001) == [100, 451, 450]
    assert sum(plan(rows, 1001)) == 1001
    open_rows = [ShareRow(i, f"p{i}", None) for i in range(7)]
    split = plan(open_rows, 100)
    assert sum(split) == 100 and max(split) - min(split) <= 1
    assert plan([ShareRow(1, "a", 5)], 10) == [5]
    with pytest.raises(SharesRefused):
        plan([ShareRow(1, "a", 11)], 10)
    with pytest.raises(SharesRefused):
        plan([ShareRow(1, "a", 10), ShareRow(2, "b", None)], 10)
    with pytest.raises(SharesRefused):
        plan(open_rows, 6)
