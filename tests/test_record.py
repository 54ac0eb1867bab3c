"""``wattprint._record``: records and named tuples behave as the stdlib's would.

Each check makes the same class twice, once with :func:`dataclasses.dataclass`
(or :class:`typing.NamedTuple`) and once with wattprint's maker, and compares
what a caller can see.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
import typing

import pytest

from wattprint._record import NamedTuple, field_names, record, replace

# Module-level classes, so that pickle can find them by name.


@dataclasses.dataclass(frozen=True, slots=True)
class DPoint:
    x: float
    y: float = 0.0
    label: str | None = None


@record(frozen=True, slots=True)
class RPoint:
    x: float
    y: float = 0.0
    label: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DBase:
    a: int
    b: str = "b"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DChild(DBase):
    c: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return self.a + sum(self.c)


@record(frozen=True, slots=True, kw_only=True)
class RBase:
    a: int
    b: str = "b"


@record(frozen=True, slots=True, kw_only=True)
class RChild(RBase):
    c: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return self.a + sum(self.c)


class TPair(typing.NamedTuple):
    """A pair."""

    left: int
    right: str = "r"

    def both(self) -> str:
        return f"{self.left}{self.right}"


class WPair(NamedTuple):
    """A pair."""

    left: int
    right: str = "r"

    def both(self) -> str:
        return f"{self.left}{self.right}"


def _error(call: typing.Callable[[], object]) -> str:
    with pytest.raises(TypeError) as caught:
        call()
    return str(caught.value).replace("DPoint", "X").replace("RPoint", "X")


def test_record_init_repr_eq_hash_as_dataclass() -> None:
    for args, kwargs in [((1.0,), {}), ((1.0, 2.0), {"label": "a"}), ((), {"x": 3, "y": 4})]:
        d, r = DPoint(*args, **kwargs), RPoint(*args, **kwargs)
        assert repr(r) == repr(d).replace("DPoint", "RPoint")
        assert (r.x, r.y, r.label) == (d.x, d.y, d.label)
        assert r == RPoint(*args, **kwargs)
        assert hash(r) == hash(RPoint(*args, **kwargs)) == hash(d)
    assert RPoint(1.0) != RPoint(2.0)
    assert RPoint(1.0) != DPoint(1.0)  # another class is never equal
    assert RPoint.__match_args__ == DPoint.__match_args__ == ("x", "y", "label")
    assert RPoint.__slots__ == ("x", "y", "label")
    assert not hasattr(RPoint(1.0), "__dict__")


@pytest.mark.parametrize(
    "args, kwargs",
    [((), {}), ((1, 2, 3, 4), {}), ((1,), {"x": 2}), ((1,), {"z": 2})],
    ids=["missing", "too-many", "twice", "unknown"],
)
def test_record_init_errors_as_dataclass(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    expected = _error(lambda: DPoint(*args, **kwargs))  # type: ignore[arg-type]
    assert _error(lambda: RPoint(*args, **kwargs)) == expected  # type: ignore[arg-type]


def test_record_init_errors_name_every_missing_argument() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class D:
        a: int
        b: int
        c: int
        d: int = 0

    @record(frozen=True, slots=True)
    class R:
        a: int
        b: int
        c: int
        d: int = 0

    for args in [(), (1,), (1, 2)]:
        expected = _error(lambda args=args: D(*args))  # type: ignore[arg-type]
        assert (
            _error(lambda args=args: R(*args)).split(".__init__")[1]
            == expected.split(".__init__")[1]
        )
    expected = _error(lambda: DChild())  # type: ignore[call-arg]
    assert _error(lambda: RChild()).replace("RChild", "DChild") == expected  # type: ignore[call-arg]
    expected = _error(lambda: DChild(1))  # type: ignore[misc]
    assert _error(lambda: RChild(1)).replace("RChild", "DChild") == expected  # type: ignore[misc]


def test_record_frozen_and_stdlib_helpers() -> None:
    r = RPoint(1.0, label="a")
    with pytest.raises(dataclasses.FrozenInstanceError, match="'x'"):
        r.x = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del r.x  # type: ignore[misc]
    assert dataclasses.is_dataclass(r) and dataclasses.is_dataclass(RPoint)
    assert [f.name for f in dataclasses.fields(RPoint)] == ["x", "y", "label"]
    assert [f.default for f in dataclasses.fields(r)][1:] == [0.0, None]
    assert dataclasses.replace(r, y=5.0) == RPoint(1.0, 5.0, "a")
    assert dataclasses.asdict(r) == {"x": 1.0, "y": 0.0, "label": "a"}
    assert replace(r, label="b") == RPoint(1.0, 0.0, "b")
    assert field_names(RPoint) == ("x", "y", "label")
    assert pickle.loads(pickle.dumps(r)) == r
    assert copy.copy(r) == r and copy.deepcopy(r) == r


def test_record_inheritance_and_keyword_only() -> None:
    d, r = DChild(a=1, c=(2, 3)), RChild(a=1, c=(2, 3))
    assert repr(r) == repr(d).replace("DChild", "RChild")
    assert r.total == d.total == 6
    assert isinstance(r, RBase)
    assert RChild.__slots__ == ("c",)
    assert field_names(RChild) == ("a", "b", "c")
    assert [f.name for f in dataclasses.fields(RChild)] == ["a", "b", "c"]
    assert all(f.kw_only for f in dataclasses.fields(RChild))
    assert dataclasses.replace(r, b="x") == RChild(a=1, b="x", c=(2, 3))
    assert pickle.loads(pickle.dumps(r)) == r
    with pytest.raises(TypeError, match="positional"):
        RChild(1)  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'a'"):
        RChild()  # type: ignore[call-arg]


def test_record_refuses_what_it_cannot_make() -> None:
    with pytest.raises(TypeError, match="follows default"):

        @record(frozen=True, slots=True)
        class Bad:
            a: int = 1
            b: int  # type: ignore[misc]

    with pytest.raises(ValueError, match="mutable default"):

        @record(frozen=True, slots=True)
        class Mutable:
            a: list[int] = []  # noqa: RUF012  # type: ignore[misc]

    with pytest.raises(TypeError, match="field\\(\\)"):

        @record(frozen=True, slots=True)
        class WithField:
            a: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="frozen, slotted classes only: got frozen=False"):
        record(slots=True)


def test_named_tuple_as_typing() -> None:
    t, w = TPair(1), WPair(1)
    assert tuple(w) == tuple(t) == (1, "r")
    assert repr(w) == repr(t).replace("TPair", "WPair")
    assert WPair._fields == TPair._fields and WPair._field_defaults == TPair._field_defaults
    assert w.both() == t.both() == "1r"
    assert WPair.__doc__ == "A pair."
    assert WPair.__qualname__ == "WPair" and WPair.__module__ == __name__
    assert w._replace(right="x") == (1, "x")
    assert WPair._make([2, "z"]) == WPair(2, "z")
    assert pickle.loads(pickle.dumps(w)) == w
    assert WPair.__annotations__ == {"left": "int", "right": "str"}
    with pytest.raises(TypeError):
        WPair()  # type: ignore[call-arg]
    with pytest.raises(
        TypeError, match="Non-default namedtuple field b cannot follow default field a"
    ):

        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]

    with pytest.raises(AttributeError, match="Cannot overwrite NamedTuple attribute _make"):

        class Overwrite(NamedTuple):
            a: int

            def _make(self) -> None:  # type: ignore[override]
                pass


def test_a_run_loads_no_dataclasses_module() -> None:
    """import, construct, start and stop: neither ``dataclasses`` nor ``inspect`` is imported."""
    code = (
        "import sys\n"
        "from wattprint import Tracker\n"
        "t = Tracker(project='p', country='FR', save_to_file=False, log_level='error')\n"
        "t.start(); t.stop()\n"
        "print(sorted(m for m in ('dataclasses', 'inspect', 'typing') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "dataclasses" not in out.stdout and "inspect" not in out.stdout, out.stdout
