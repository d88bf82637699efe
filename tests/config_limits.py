"""The numbers a config may hold: which have no upper bound, and a config with each at its largest."""

from __future__ import annotations

import json
import sys
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, get_args, get_origin

from annotated_types import Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from device.config import Config


def section_models(root: type[BaseModel] = Config) -> list[type[BaseModel]]:
    """Every model a config file can fill, drivers' included, root first."""
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(root)
    return found


def _unbounded(annotation: Any, metadata: list[Any]) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extras = get_args(annotation)
        more = [
            item for extra in extras for item in (extra.metadata if isinstance(extra, FieldInfo) else [extra])
        ]
        return _unbounded(base, [*metadata, *more])
    if annotation in (int, float):
        return not any(isinstance(item, Le | Lt) for item in metadata)
    if isinstance(annotation, type):
        return False  # bool, str, Path, date, or a model: walked on its own
    passes_on = (
        metadata if origin in (typing.Union, types.UnionType) else []
    )  # constraints of a list are not its items'
    return any(
        _unbounded(arg, passes_on) for arg in get_args(annotation) if get_origin(arg) or isinstance(arg, type)
    )


def unbounded_numbers() -> Iterator[str]:
    for model in section_models():
        for name, field in model.model_fields.items():
            if _unbounded(field.annotation, list(field.metadata)):
                yield f"{model.__name__}.{name}"


def largest(field: FieldInfo) -> int | float | None:
    """The largest number `field` accepts (a huge one if it states no bound), None for a non-number."""
    kinds = {arg for arg in (field.annotation, *get_args(field.annotation)) if arg in (int, float)}
    if not kinds or field.annotation is bool:
        return None
    for item in field.metadata:
        if isinstance(item, Le):
            bound = item.le
            assert isinstance(bound, int | float)
            return float(bound) if float in kinds else int(bound)
    return sys.float_info.max if float in kinds else 2**63 - 1


def at_the_limits(section: str, model: type[BaseModel], leave: tuple[str, ...] = ("port",)) -> str:
    """`[section]` with every number `model` holds at the largest value it accepts."""
    lines = [f"[{section}]"]
    for name, field in model.model_fields.items():
        value = largest(field)
        if value is not None and name not in leave:
            lines.append(f"{name} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
