"""Frozen, slotted value classes made without compiling code at import.

``@dataclass(frozen=True, slots=True)`` compiles an ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` for each class and
makes the class twice; importing :mod:`dataclasses` pulls in :mod:`inspect`
(with ``ast``, ``dis`` and ``tokenize``). On the classes a run loads between
``from wattprint import Tracker`` and ``stop()`` (the result, its methodology,
the provenance, the impact figures) that came to about a third of a short
run's whole cost. :func:`record` makes the same classes from closures::

    from wattprint._record import record

    @record(frozen=True, slots=True)
    class Point:
        x: float
        y: float = 0.0

The type checker reads ``record`` as :func:`dataclasses.dataclass` (it is that
name for it), so the rules are the dataclass rules: fields in annotation order,
base classes' fields first, ``kw_only`` fields keyword-only, no field without a
default after one with a default (among the positional ones). At run time the
class behaves as the dataclass would: the same ``__init__`` arguments and
errors, ``repr``, equality and hash over the fields, assignment refused with
:class:`dataclasses.FrozenInstanceError`, pickling, ``__match_args__``; and
:func:`dataclasses.fields`, :func:`~dataclasses.replace`,
:func:`~dataclasses.asdict` and :func:`~dataclasses.is_dataclass` work on it
(``__dataclass_fields__`` is worked out by :mod:`dataclasses` itself, on first
use). Only ``frozen=True, slots=True`` classes are made this way, with plain
defaults (no :func:`dataclasses.field`).
"""

from __future__ import annotations

__all__ = ["NamedTuple", "field_names", "record", "replace"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from dataclasses import Field
    from dataclasses import dataclass as record
    from typing import Any, NamedTuple, TypeVar

    T = TypeVar("T")

    Method = Callable[..., Any]
    Spec = tuple[str, object, bool]  # name, default (or _MISSING), keyword-only
else:

    def record(cls=None, /, *, frozen=False, slots=False, kw_only=False):
        """Make ``cls`` a frozen slotted record (see the module's docstring)."""
        if not (frozen and slots):
            raise TypeError(
                f"record() makes frozen, slotted classes only: got frozen={frozen!r}, "
                f"slots={slots!r}; use dataclasses.dataclass for other kinds"
            )
        if cls is None:
            return lambda c: _make(c, kw_only)
        return _make(cls, kw_only)

    class _NamedTupleMeta(type):
        def __new__(mcls, name, bases, space):
            if bases == ():
                return super().__new__(mcls, name, bases, space)
            return _named_tuple(name, bases, space)

    class NamedTuple(metaclass=_NamedTupleMeta):
        """:class:`typing.NamedTuple` without checking each annotation at run time."""


_MISSING = object()


_NOT_OVERWRITTEN = frozenset(
    {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
    | {"_make", "_replace", "_asdict", "_source"}
)
_SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})


def _named_tuple(name: str, bases: tuple[type, ...], space: dict[str, Any]) -> type:
    """Make the class ``class <name>(NamedTuple)`` defines, as :mod:`typing` would.

    :class:`typing.NamedTuple` checks each annotation (with ``from __future__
    import annotations``, it compiles each one into a ``ForwardRef``): about
    150 µs a class, two thirds of its cost, for nothing the run uses.
    """
    import collections

    if len(bases) != 1:
        raise TypeError(f"{name}: a NamedTuple takes no other base class: {bases!r}")
    notes = space.get("__annotations__", {})
    first_default = ""
    for field in notes:
        if field in space:
            first_default = first_default or field
        elif first_default:
            raise TypeError(
                f"Non-default namedtuple field {field} cannot follow default field {first_default}"
            )
    make: Callable[..., type] = collections.namedtuple  # a name made at run time
    made = make(
        name,
        tuple(notes),
        defaults=[space[n] for n in notes if n in space],
        module=space["__module__"],
    )
    made.__annotations__ = dict(notes)
    for key, value in space.items():
        if key in _NOT_OVERWRITTEN:
            raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
        if key not in _SPECIAL and key not in notes:
            setattr(made, key, value)
    return made


def field_names(cls: type) -> tuple[str, ...]:
    """Return the names of a record's fields, in order (no :mod:`dataclasses` needed)."""
    return tuple(name for name, _, _ in cls.__dict__["__record_fields__"])


def replace(obj: T, /, **changes: object) -> T:
    """Return a copy of the record ``obj`` with ``changes``, as :func:`dataclasses.replace`."""
    for name in field_names(type(obj)):
        if name not in changes:
            changes[name] = getattr(obj, name)
    return type(obj)(**changes)


_setter = object.__setattr__


def _own_fields(cls: type, kw_only: bool) -> list[Spec]:
    fields: list[Spec] = []
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(kind, str) and kind.startswith(("ClassVar", "typing.ClassVar", "InitVar")):
            raise TypeError(f"record() does not take ClassVar or InitVar fields: {name!r}")
        default = cls.__dict__.get(name, _MISSING)
        if type(default).__name__ == "Field":
            raise TypeError(f"record() takes plain defaults, not field(): {cls.__name__}.{name}")
        if default is not _MISSING and type(default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(default)} for field {name} is not allowed: "
                "use a tuple or a frozenset"
            )
        fields.append((name, default, kw_only))
    return fields


def _all_fields(cls: type, own: list[Spec]) -> tuple[Spec, ...]:
    """Return the base records' fields, then ``own`` (a field declared again keeps its place)."""
    merged: dict[str, Spec] = {}
    for base in reversed(cls.__mro__[1:]):
        for field in base.__dict__.get("__record_fields__", ()):
            merged[field[0]] = field
    for field in own:
        merged[field[0]] = field
    return tuple(merged.values())


def _make(cls: type, kw_only: bool) -> type:
    own_fields = _own_fields(cls, kw_only)
    fields = _all_fields(cls, own_fields)
    qualname = cls.__qualname__
    positional = tuple(n for n, _, k in fields if not k)
    keyword = tuple(n for n, _, k in fields if k)
    defaults = {n: d for n, d, _ in fields if d is not _MISSING}
    seen_default = False
    for name in positional:
        if name in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    names = positional + keyword
    inherited = {n for base in cls.__mro__[1:] for n in base.__dict__.get("__slots__", ())}
    own = tuple(n for n, _, _ in own_fields if n not in inherited)

    space = {k: v for k, v in cls.__dict__.items() if k not in own}
    space.pop("__dict__", None)
    space.pop("__weakref__", None)
    space.update(
        __slots__=own,
        __record_fields__=fields,
        __match_args__=positional,
        __init__=_init(qualname, positional, names, defaults),
        __repr__=_repr(names),
        __eq__=_eq(names),
        __hash__=_hash(names),
        __setattr__=_refuse_set,
        __delattr__=_refuse_del,
        __getstate__=_state(names),
        __setstate__=_set_state(names),
        __dataclass_fields__=_Fields(),
    )
    made = type(cls)(cls.__name__, cls.__bases__, space)
    made.__qualname__ = qualname
    return made


def _init(
    qualname: str, positional: tuple[str, ...], names: tuple[str, ...], defaults: dict[str, object]
) -> Method:
    count = len(positional)

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        if len(args) > count:
            raise TypeError(_too_many(qualname, positional, defaults, len(args)))
        for name, value in zip(positional, args, strict=False):
            _setter(self, name, value)
        for name in names[len(args) :]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                value = defaults[name]
            else:
                raise TypeError(_missing(qualname, positional, names, defaults, args, kwargs))
            _setter(self, name, value)
        if kwargs:
            name = next(iter(kwargs))
            if name in names:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")

    return __init__


def _too_many(
    qualname: str, positional: tuple[str, ...], defaults: dict[str, object], given: int
) -> str:
    """Word the error for too many positional arguments as the interpreter does."""
    most = len(positional) + 1
    least = most - sum(1 for n in positional if n in defaults)
    takes = f"from {least} to {most}" if least < most else str(most)
    plural = "s" if most > 1 else ""
    return (
        f"{qualname}.__init__() takes {takes} positional argument{plural} "
        f"but {given + 1} were given"
    )


def _missing(
    qualname: str,
    positional: tuple[str, ...],
    names: tuple[str, ...],
    defaults: dict[str, object],
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> str:
    """Word the error for missing arguments as the interpreter does: positional ones first."""
    left = [n for n in names[len(args) :] if n not in kwargs and n not in defaults]
    pos = [n for n in left if n in positional]
    kind, missing = ("positional", pos) if pos else ("keyword-only", left)
    quoted = [repr(n) for n in missing]
    if len(quoted) > 2:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    else:
        listed = " and ".join(quoted)
    plural = "s" if len(quoted) > 1 else ""
    return f"{qualname}.__init__() missing {len(quoted)} required {kind} argument{plural}: {listed}"


def _values(self: object, names: tuple[str, ...]) -> tuple[object, ...]:
    return tuple([getattr(self, n) for n in names])


def _repr(names: tuple[str, ...]) -> Method:
    def __repr__(self: object) -> str:
        inner = ", ".join([f"{n}={getattr(self, n)!r}" for n in names])
        return f"{type(self).__qualname__}({inner})"

    return __repr__


def _eq(names: tuple[str, ...]) -> Method:
    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self, names) == _values(other, names)

    return __eq__


def _hash(names: tuple[str, ...]) -> Method:
    def __hash__(self: object) -> int:
        return hash(_values(self, names))

    return __hash__


def _state(names: tuple[str, ...]) -> Method:
    def __getstate__(self: object) -> tuple[object, ...]:
        return _values(self, names)

    return __getstate__


def _set_state(names: tuple[str, ...]) -> Method:
    def __setstate__(self: object, state: tuple[object, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            _setter(self, name, value)

    return __setstate__


def _refuse_set(self: object, name: str, value: object) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_del(self: object, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


class _Fields:
    """``__dataclass_fields__``, worked out by :mod:`dataclasses` when first read.

    A plain (non-frozen) dataclass with the same fields, in the same order and
    with the same defaults and ``kw_only`` flags, gives the ``Field`` objects;
    they are then kept on the class.
    """

    def __get__(self, obj: object, owner: type) -> dict[str, Field[Any]]:
        import dataclasses

        notes: dict[str, object] = {}
        space: dict[str, object] = {"__annotations__": notes, "__module__": owner.__module__}
        for name, default, kw_only in owner.__dict__["__record_fields__"]:
            notes[name] = next(
                (b.__dict__["__annotations__"][name] for b in owner.__mro__ if _declares(b, name)),
                "object",
            )
            if default is _MISSING:
                space[name] = dataclasses.field(kw_only=kw_only)
            else:
                space[name] = dataclasses.field(default=default, kw_only=kw_only)
        shadow: type = dataclasses.dataclass(type(owner.__name__, (), space))
        fields: dict[str, Field[Any]] = shadow.__dataclass_fields__  # type: ignore[attr-defined]
        type.__setattr__(owner, "__dataclass_fields__", fields)
        return fields


def _declares(cls: type, name: str) -> bool:
    return name in cls.__dict__.get("__annotations__", {})
