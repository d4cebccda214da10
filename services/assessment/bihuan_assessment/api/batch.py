"""Validating a batch record by record: good records are kept, each bad one is reported by index, field and reason."""
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def split_batch(records: list[Any], model: type[M], offset: int = 0) -> tuple[list[tuple[int, M]], list[dict]]:
    good, errors = [], []
    for i, record in enumerate(records):
        try:
            good.append((i + offset, model.model_validate(record)))
        except ValidationError as exc:
            errors += [{"index": i + offset, "field": ".".join(str(p) for p in e["loc"]) or "record",
                        "message": e["msg"]} for e in exc.errors()]
    return good, errors
