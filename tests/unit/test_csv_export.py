import csv
import io

import pytest

from webapp.services import csv_export


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_written_as_text(start):
    out = io.StringIO()
    csv_export.writer(out).writerow([f"{start}1+1", "plain", 5, -5])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [f"'{start}1+1", "plain", "5", "-5"]
