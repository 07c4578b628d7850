"""Rebuild stored LangChain messages without pydantic's per-message cost.

``AIMessage(**fields)`` costs some 5 us (``__init__`` chain, model validators, validation);
``model_construct`` costs as much (pydantic 2.13 loops over the fields in Python). Reading
back what :func:`memmark.integrations.langchain.to_msg` stored, the fields already have the
types validation wants, so :func:`build` checks that they do, copies them as validation would
(a new list / dict for each container, nested values shared), and sets the instance's state the
way ``model_construct`` does. Anything it does not know to be valid (an unknown field, a number
for an id, tool calls validation would parse from ``additional_kwargs``, a class with
validators or defaults this module does not know) returns ``None``: the caller validates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args, get_origin

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    InputTokenDetails,
    OutputTokenDetails,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UsageMetadata,
)

__all__ = ["BUILDERS", "Build", "build", "builder"]

_INVALID: Any = object()
"""What a check returns for a value validation might change or reject."""

Check = Callable[[Any], Any]
"""The value as validation would store it, or ``_INVALID``."""

_KNOWN_MODEL_VALIDATORS = frozenset({"_backwards_compat_tool_calls", "coerce_args"})
"""langchain-core's validators that leave values of the checked types as they are, but for
``_backwards_compat_tool_calls`` parsing ``additional_kwargs["tool_calls"]`` (see build)."""

_IMMUTABLE_DEFAULTS = (str, int, bool, type(None))
_TOOL_CALL_KEYS = frozenset({"name", "args", "id", "type", "extras"})
_USAGE_DETAILS: dict[str, tuple[str, ...]] = {
    "input_token_details": tuple(InputTokenDetails.__annotations__),
    "output_token_details": tuple(OutputTokenDetails.__annotations__),
}
_USAGE_KEYS = tuple(UsageMetadata.__annotations__)


def _same(value: Any) -> Any:
    return value


def _str(value: Any) -> Any:
    return value if type(value) is str else _INVALID


def _optional_str(value: Any) -> Any:
    return value if value is None or type(value) is str else _INVALID


def _dict(value: Any) -> Any:
    return dict(value) if type(value) is dict else _INVALID


def _content(value: Any) -> Any:
    if type(value) is str:
        return value
    if type(value) is not list:
        return _INVALID
    parts: list[Any] = []
    for part in value:
        if type(part) is str:
            parts.append(part)
        elif type(part) is dict:
            parts.append(dict(part))
        else:
            return _INVALID
    return parts


def _tool_calls(value: Any) -> Any:
    """Each call as validation rebuilds it: ``tool_call(name, args, id)`` (no ``extras``)."""
    if type(value) is not list:
        return _INVALID
    calls: list[ToolCall] = []
    for call in value:
        if type(call) is not dict or not call.keys() <= _TOOL_CALL_KEYS:
            return _INVALID
        name, args, call_id = call.get("name"), call.get("args"), call.get("id", _INVALID)
        if (
            type(name) is not str
            or type(args) is not dict
            or not all(type(key) is str for key in args)
            or (call_id is not None and type(call_id) is not str)
        ):
            return _INVALID
        calls.append({"name": name, "args": dict(args), "id": call_id, "type": "tool_call"})
    return calls


def _ints(value: Any, keys: tuple[str, ...]) -> Any:
    """A dict of int counts among ``keys``, in their order (validation's)."""
    if type(value) is not dict:
        return _INVALID
    counts = {key: value[key] for key in keys if key in value}
    if len(counts) != len(value) or not all(type(count) is int for count in counts.values()):
        return _INVALID
    return counts


def _usage(value: Any) -> Any:
    """Token counts, in validation's key order."""
    if value is None:
        return None
    if type(value) is not dict:
        return _INVALID
    usage: dict[str, Any] = {}
    for key in _USAGE_KEYS:
        if key in value:
            detail_keys = _USAGE_DETAILS.get(key)
            count = value[key] if detail_keys is None else _ints(value[key], detail_keys)
            if count is _INVALID or (detail_keys is None and type(count) is not int):
                return _INVALID
            usage[key] = count
    if len(usage) != len(value) or not UsageMetadata.__required_keys__ <= usage.keys():
        return _INVALID
    return usage


_CHECKS: dict[Any, Check] = {
    str: _str,
    str | None: _optional_str,
    dict[Any, Any]: _dict,
    str | list[str | dict[Any, Any]]: _content,
    Any: _same,
    list[ToolCall]: _tool_calls,
    UsageMetadata | None: _usage,
}
"""The check of each field type langchain-core's message classes use."""


def _check_of(annotation: Any) -> Check | None:
    if get_origin(annotation) is Literal:
        allowed = frozenset(get_args(annotation))
        return lambda value: value if type(value) is str and value in allowed else _INVALID
    return _CHECKS.get(annotation)


Build = Callable[[Mapping[str, Any], object], BaseMessage | None]
"""Builds one class's message from its stored fields and content (see :func:`build`)."""


def builder(cls: type[BaseMessage]) -> Build | None:
    """The builder of ``cls``, or ``None`` when its validation may change checked values.

    That is when ``cls`` has validators this module does not know, aliases, private
    attributes, a post-init, a default factory that reads other fields or a mutable default.
    """
    decorators = cls.__pydantic_decorators__
    if (
        not set(decorators.model_validators) <= _KNOWN_MODEL_VALIDATORS
        or decorators.field_validators
        or decorators.validators
        or decorators.root_validators
        or cls.__pydantic_post_init__
        or cls.__private_attributes__
        or cls.model_config.get("extra") != "allow"
    ):
        return None
    setters = _state_setters(cls)
    if setters is None:
        return None
    set_dict, set_fields_set, set_extra, set_private = setters
    template: dict[str, Any] = {}  # every field in the class's order, set below
    new_dicts: list[str] = []
    new_lists: list[str] = []
    checks: dict[str, Check] = {}
    required: set[str] = set()
    for name, field in cls.model_fields.items():
        if field.alias is not None or field.validation_alias is not None:
            return None
        if (check := _check_of(field.annotation)) is not None:
            checks[name] = check
        template[name] = _INVALID
        if field.is_required():
            if name != "content":
                required.add(name)
        elif field.default_factory is dict or field.default_factory is list:
            (new_dicts if field.default_factory is dict else new_lists).append(name)
        elif field.default_factory is None and isinstance(field.default, _IMMUTABLE_DEFAULTS):
            template[name] = field.default
        else:
            return None
    if "content" not in checks or not isinstance(template.get("type"), str):
        return None
    parses_tool_calls = "_backwards_compat_tool_calls" in decorators.model_validators
    new = cls.__new__

    def build_one(kept: Mapping[str, Any], content: object) -> BaseMessage | None:
        if required and not required <= kept.keys():
            return None
        values = template.copy()
        for name in new_dicts:
            values[name] = {}
        for name in new_lists:
            values[name] = []
        if len(kept) != 1 or "type" not in kept:  # fields besides the type, to check
            for key, value in kept.items():
                if key == "type":
                    continue  # the template's: build looked the class up by it
                check = checks.get(key)
                if check is None or (value := check(value)) is _INVALID:
                    return None
                values[key] = value
        if "content" not in kept:
            if type(content) is not str and (content := _content(content)) is _INVALID:
                return None
            values["content"] = content
        if (
            parses_tool_calls
            and values["additional_kwargs"].get("tool_calls")
            and not values["tool_calls"]
        ):
            return None  # validation would parse them into tool_calls
        message = new(cls)
        set_dict(message, values)
        set_fields_set(message, {*kept, "content"})
        set_extra(message, {})
        set_private(message, None)
        return message

    return build_one


_STATE = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
"""The slots of a pydantic instance's state, in the order ``model_construct`` sets them."""


def _state_setters(cls: type[BaseMessage]) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The ``__set__`` of each :data:`_STATE` slot's descriptor, found as attribute lookup would.

    ``object.__setattr__`` (what ``model_construct`` calls) looks each name up through the
    class's ancestors first, on every message: calling the descriptors found once skips that.
    ``None`` when a slot has no settable descriptor (not a pydantic model as this module knows).
    """
    setters = []
    for name in _STATE:
        descriptor = next((vars(k)[name] for k in cls.__mro__ if name in vars(k)), None)
        setter = getattr(descriptor, "__set__", None)
        if setter is None:
            return None
        setters.append(setter)
    return tuple(setters)


def build(kept: object, content: object) -> BaseMessage | None:
    """The message a stored ``metadata["langchain"]`` (``kept``) and ``content`` describe.

    Equal to ``cls(**kept, content=content)`` for the class of ``kept["type"]``, fields set,
    extras and private state included; ``None`` when that call might differ or raise, or
    when ``kept`` is not a dict with a ``type`` this module builds.
    """
    if type(kept) is not dict:
        return None
    kind = kept.get("type")
    build_one = BUILDERS.get(kind) if type(kind) is str else None
    return None if build_one is None else build_one(kept, content)


BUILDERS: dict[str, Build] = {
    cls.model_fields["type"].default: built
    for cls in (HumanMessage, AIMessage, SystemMessage, ToolMessage, ChatMessage, FunctionMessage)
    if (built := builder(cls)) is not None
}
"""The builder of each message class, by its ``type``."""
