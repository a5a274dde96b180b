"""Job input models: a job type may declare its input as a pydantic model.

The admin service validates every submission against it (a bad input is refused before it
is queued, not at run time); the CLI's ``jobdock types`` and the web submit form show it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

InputModel = type[BaseModel]


class InputInvalid(ValueError):
    """The input does not match the job type's model; the message is one line."""


def validate_input(model: InputModel, data: dict[str, Any]) -> dict[str, Any]:
    """The input as the model reads it (coerced, JSON-ready); fields left out stay out."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise InputInvalid(describe_errors(exc)) from None
    return parsed.model_dump(mode="json", exclude_unset=True)


def describe_errors(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    parts = []
    for error in errors[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "input"
        got = f" (got {error['input']!r})" if error["type"] != "missing" else ""
        parts.append(f"{where}: {error['msg']}{got}")
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def input_fields(model: InputModel) -> list[dict[str, Any]]:
    """Each field: name, type, required, default, description (for people to read)."""
    fields = []
    for name, info in model.model_fields.items():
        required = info.is_required()
        fields.append({
            "name": name, "type": _type_name(info.annotation), "required": required,
            "default": None if required else _default(info.default),
            "description": info.description or "",
        })
    return fields


def input_template(model: InputModel) -> dict[str, Any]:
    """A JSON object to start from: defaults, or an empty value of the field's type."""
    template = {}
    for field in input_fields(model):
        if field["required"]:
            template[field["name"]] = _EMPTY.get(field["type"], "")
        elif field["default"] is not None:
            template[field["name"]] = field["default"]
    return template


_EMPTY: dict[str, Any] = {"int": 0, "float": 0.0, "bool": False, "str": "", "list": [],
                          "dict": {}}


def _default(value: Any) -> Any:
    return None if value is PydanticUndefined else value


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "")
    origin = getattr(annotation, "__origin__", None)
    if isinstance(origin, type) and "|" not in text:
        return origin.__name__
    return text
