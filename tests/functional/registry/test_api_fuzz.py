"""Schemathesis over the whole OpenAPI document, through the app (WSGI, in-process), on
every backend: no request the document allows may get a server error, and every answer
must match the document. Bounded in examples per operation and in time."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.registry import HOLD
from webapp.extensions import db
from webapp.models import Privacy, Purpose
from webapp.services.registry import allocation as alloc

MAX_EXAMPLES = 25


@pytest.fixture
def fuzz_app(app, project, on_sale):
    """A registry with something in it, so lookups find rows as well as miss them."""
    on_sale(project, 10_000)
    a = alloc.reserve(db.session, project, 1000, "order-fuzz", hold=HOLD)
    alloc.retire(
        db.session, a, alloc.Beneficiary(name="王小林", privacy=Privacy.FULL, purpose=Purpose.GIFT)
    )
    db.session.commit()
    app.config["RATELIMIT_ENABLED"] = False
    return app


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    # What the document allows is accepted. (What it forbids is not always refused: the
    # API is lenient where a form is, e.g. null for an optional number, decimal strings.)
    positive_data_acceptance,
]


def test_api_answers_what_its_document_says(fuzz_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # Nothing to break in this operation (no bounded parameter): negative mode
            # has no example to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except BaseException as exc:  # every operation's first failure, not only the first
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
