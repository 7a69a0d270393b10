"""Read packaged TOML data files with errors that name the file, the entry, the key and the allowed values.

The hand-validated data of the core (knowledge, protocols, instruments) is read through this module:
:func:`read_toml` and :func:`parse_toml` turn a file into a dict, and :class:`TomlTable` reads one
table with typed getters. A loader subclasses :class:`TomlTable` to raise its own error type. Every
getter marks its key as read, so :meth:`TomlTable.finish` can refuse the keys nobody read (almost
always a typo such as ``onsett_min``, which would otherwise silently drop a rule);
:meth:`TomlTable.only` refuses keys outside a declared set before anything else is read.

Messages read ``<file>: <entry>: <problem>``, the entry being a path of table names and ids such as
``protocol 'iv_ketamine' dose_bounds``.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Self

# Keys that name an entry of an array of tables in messages, in order of preference.
_NAME_KEYS = ("id", "code", "name")


def parse_toml(text: str, file: str, error_type: type[Exception]) -> dict[str, Any]:
    """Parse ``text``, the contents of ``file``; a syntax error raises ``error_type`` naming the file."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error_type(f"{file}: invalid TOML: {exc}") from None


def read_toml(name: str, directory: Traversable | Path, error_type: type[Exception]) -> dict[str, Any]:
    """Read and parse the file ``name`` in ``directory``; raise ``error_type`` if missing or malformed."""
    try:
        text = directory.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type(f"{name}: file not found in {directory}") from None
    return parse_toml(text, name, error_type)


def did_you_mean(value: str, known: Iterable[str], *, limit: int = 3) -> str:
    """Return `` (did you mean 'x'?)`` naming up to ``limit`` known values close to ``value``, or ``""``."""
    close = difflib.get_close_matches(value, list(known), n=limit, cutoff=0.6)
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def not_one_of(key: str, value: object, allowed: Iterable[str]) -> str:
    """Return the problem ``<key> <value> is not one of: <allowed>``, with a suggestion when one is close."""
    choices = tuple(allowed)
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    return f"{key} {value!r} is not one of: {', '.join(choices)}{hint}"


def _is_number(value: object) -> bool:
    # bool is an int subclass: `true` must not be read as 1.
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


class TomlTable:
    """One TOML table being read: typed getters whose errors name the file, the entry and the key."""

    error_type: ClassVar[type[Exception]] = ValueError

    def __init__(self, data: object, *, file: str, where: str = "") -> None:
        self.file = file
        self.where = where
        if not isinstance(data, dict):
            raise self.error(f"expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    # --- errors and nesting --------------------------------------------------------------------

    def error(self, problem: str) -> Exception:
        """Return the loader's error for ``problem``, prefixed with the file and the entry."""
        location = f"{self.file}: {self.where}" if self.where else self.file
        return self.error_type(f"{location}: {problem}")

    def nested(self, data: object, where: str) -> Self:
        """Return a reader for ``data``, a table inside this one, named ``where`` in messages."""
        return type(self)(data, file=self.file, where=where)

    def _inner(self, name: str) -> str:
        return f"{self.where} {name}" if self.where else name

    def unknown_keys_problem(self, unknown: list[str], allowed: list[str]) -> str:
        """Word the refusal of ``unknown`` keys; a loader may override it to keep its own wording."""
        hint = did_you_mean(unknown[0], allowed, limit=1) if len(unknown) == 1 else ""
        return f"unknown keys {unknown}{hint}; allowed keys are {allowed}"

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse any key outside ``allowed`` now, before the values are read."""
        allowed_keys = sorted(set(allowed))
        unknown = sorted(set(self.data) - set(allowed_keys))
        if unknown:
            raise self.error(self.unknown_keys_problem(unknown, allowed_keys))

    def finish(self) -> None:
        """Refuse the keys no getter asked for: almost always a typo."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(self.unknown_keys_problem(unknown, sorted(self.used)))

    # --- untyped access ------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        """Whether the table holds ``key`` (without marking it read)."""
        return key in self.data

    def value(self, key: str, *, required: bool = True) -> Any:
        """Return the value of ``key`` unchecked (None when absent and not required)."""
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(f"missing {key!r} (a required key)")
            return None
        return self.data[key]

    # --- text ----------------------------------------------------------------------------------

    def optional_text(self, key: str, *, choices: Iterable[str] | None = None) -> str | None:
        """Return the non-empty string ``key`` (one of ``choices`` if given), or None when absent."""
        value = self.value(key, required=False)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{key} must be a non-empty string, got {value!r}")
        if choices is not None and value not in (allowed := tuple(choices)):
            raise self.error(not_one_of(key, value, allowed))
        return value

    def text(self, key: str, *, choices: Iterable[str] | None = None) -> str:
        """Return the required non-empty string ``key`` (one of ``choices`` if given)."""
        self.value(key)
        value = self.optional_text(key, choices=choices)
        assert value is not None  # noqa: S101 - value() raised when the key is absent
        return value

    def texts(self, key: str, *, required: bool = True, empty: bool = False) -> tuple[str, ...]:
        """Return the list of distinct non-empty strings ``key``; () when absent and not required.

        An empty list is refused unless ``empty``.
        """
        value = self.value(key, required=required)
        if value is None:
            return ()
        if (
            not isinstance(value, list)
            or (not value and not empty)
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            kind = "list" if empty else "non-empty list"
            raise self.error(f"{key} must be a {kind} of non-empty strings, got {value!r}")
        if len(set(value)) != len(value):
            duplicates = sorted({v for v in value if value.count(v) > 1})
            raise self.error(f"{key} lists {', '.join(map(repr, duplicates))} more than once")
        return tuple(value)

    # --- flags and numbers -----------------------------------------------------------------------

    def flag(self, key: str, default: bool | None = None) -> bool:
        """Return the boolean ``key``; ``default`` when absent (required when ``default`` is None)."""
        value = self.value(key, required=default is None)
        if value is None:
            assert default is not None  # noqa: S101 - value() raised when there is no default
            return default
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false, got {value!r}")
        return value

    def _range(
        self, key: str, value: float, low: float | None, high: float | None, unit: str, hint: str
    ) -> None:
        if (low is not None and value < low) or (high is not None and value > high):
            lowest = "" if low is None else f"{low:g}"
            highest = "" if high is None else f"{high:g}"
            note = f"; {hint}" if hint else ""
            raise self.error(f"{key} {value!r} is out of range {lowest}-{highest}{unit}{note}")

    def optional_number(
        self, key: str, low: float | None = None, high: float | None = None, *, unit: str = "", hint: str = ""
    ) -> float | None:
        """Return the finite number ``key`` in ``low``-``high`` (inclusive) as a float, or None when absent.

        ``unit`` follows the range in messages (``" min"``); ``hint`` says why the range is what it is.
        """
        value = self.value(key, required=False)
        if value is None:
            return None
        if not _is_number(value):
            raise self.error(f"{key} must be a number, got {value!r}")
        self._range(key, value, low, high, unit, hint)
        return float(value)

    def number(
        self, key: str, low: float | None = None, high: float | None = None, *, unit: str = "", hint: str = ""
    ) -> float:
        """Return the required finite number ``key`` in ``low``-``high`` (inclusive) as a float."""
        self.value(key)
        value = self.optional_number(key, low, high, unit=unit, hint=hint)
        assert value is not None  # noqa: S101 - value() raised when the key is absent
        return value

    def optional_whole(self, key: str, low: int | None = None, high: int | None = None) -> int | None:
        """Return the whole number ``key`` in ``low``-``high`` (inclusive), or None when absent."""
        value = self.value(key, required=False)
        if value is None:
            return None
        if not _is_whole(value):
            raise self.error(f"{key} must be a whole number, got {value!r}")
        self._range(key, value, low, high, "", "")
        return int(value)

    def whole(self, key: str, low: int | None = None, high: int | None = None) -> int:
        """Return the required whole number ``key`` in ``low``-``high`` (inclusive)."""
        self.value(key)
        value = self.optional_whole(key, low, high)
        assert value is not None  # noqa: S101 - value() raised when the key is absent
        return value

    def wholes(self, key: str, low: int, high: int, *, required: bool = True) -> tuple[int, ...]:
        """Return the strictly increasing, non-empty list of whole numbers ``key`` in ``low``-``high``."""
        value = self.value(key, required=required)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.error(f"{key} must be a non-empty list of whole numbers, got {value!r}")
        for item in value:
            if not _is_whole(item) or not low <= item <= high:
                raise self.error(f"{key} item {item!r} must be a whole number in range {low}-{high}")
        if list(value) != sorted(set(value)):
            raise self.error(f"{key} {value!r} must be strictly increasing")
        return tuple(value)

    # --- tables --------------------------------------------------------------------------------

    def optional_table(self, key: str) -> Self | None:
        """Return a reader for the table ``key`` (named ``<entry> <key>``), or None when absent."""
        value = self.value(key, required=False)
        return None if value is None else self.nested(value, self._inner(key))

    def table(self, key: str) -> Self:
        """Return a reader for the required table ``key`` (named ``<entry> <key>`` in messages)."""
        return self.nested(self.value(key), self._inner(key))

    def tables(self, key: str, *, required: bool = False) -> list[Self]:
        """Return readers for the array of tables ``[[key]]``; [] when absent and not required.

        Each is named in messages by its id, code or name (``protocol 'iv_ketamine'``), or by its
        position (``protocol #2``). A required array must hold at least one table.
        """
        value = self.value(key, required=False)
        if value is None or value == []:
            if required:
                raise self.error(f"expected at least one [[{key}]] table")
            return []
        if not isinstance(value, list):
            raise self.error(f"{key} must be an array of tables ([[{key}]])")
        readers = []
        for index, item in enumerate(value, start=1):
            label = next((item[k] for k in _NAME_KEYS if isinstance(item, dict) and item.get(k)), None)
            name = f"{key} {label!r}" if label is not None else f"{key} #{index}"
            readers.append(self.nested(item, self._inner(name)))
        return readers
