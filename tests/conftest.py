"""Shared test helpers: fixtures directory and schema validators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_validator(name: str) -> Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def enriched_validator() -> Draft202012Validator:
    return load_validator("enriched-article.v1.schema.json")


@pytest.fixture(scope="session")
def dead_letter_validator() -> Draft202012Validator:
    return load_validator("dead-letter.v1.schema.json")


@pytest.fixture(scope="session")
def raw_validator() -> Draft202012Validator:
    return load_validator("raw-article.v1.schema.json")


def assert_valid(validator: Draft202012Validator, instance) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
