"""Every config section refuses unknown keys and cannot be changed once loaded."""

from __future__ import annotations

import pydantic
import pytest

from common.sections import Section


class Example(Section):
    port: int = 1883


def test_an_unknown_key_is_refused_not_ignored() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        Example.model_validate({"prot": 1884})


def test_a_loaded_section_is_frozen() -> None:
    section = Example(port=1884)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        section.port = 1  # type: ignore[misc]
