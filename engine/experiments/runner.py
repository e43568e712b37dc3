"""What the experiments share: their settings, the updates they yield, the table they build.

An experiment is a module of :mod:`engine.experiments` with ``NAME``, ``SUMMARY`` (one
line), ``COLUMNS`` (its table's columns, in CSV order), a frozen dataclass ``Settings``
(every field has a default; ``metadata`` holds ``help`` and optionally ``low``, ``high``
and ``choices``) and optionally ``validate(settings)`` (raises :class:`SettingError` for settings that the
field checks cannot judge alone), and ``run(settings, backend)``, a generator of :class:`Update` s: one
per finished item of work (a load, a sigma, a method), each carrying the table rows
that item produced. :func:`execute` drives it into a :class:`Result`, calling back after
every update, so that a progress bar or a panel can show rows as they arrive and stop
between items. No Qt here: the plots are drawn by :mod:`gui.experiments`.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math
import typing
from types import ModuleType
from typing import Any, Callable, Iterator

import numpy as np

from memscape.engine.atomic_files import atomic_path, os_error_message
from memscape.engine.params import ParamError, Params
from memscape.engine.presets import load_preset


class SettingError(ParamError):
    """An experiment setting with an unknown name, a wrong type or a value out of range."""


def setting(default: Any, help: str, **limits: Any) -> Any:
    """A Settings field: its default, a line of help and optional ``low``/``high``/``choices``."""
    return dataclasses.field(default=default, metadata={"help": help, **limits})


@dataclasses.dataclass
class Update:
    """One finished item of an experiment: ``done`` of ``total`` items, its new table rows
    (dicts keyed by the experiment's COLUMNS), arrays for the plot that it adds or replaces
    (e.g. a basin map), and summary numbers (name -> value) that it adds or replaces."""

    done: int
    total: int
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    arrays: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Result:
    """Everything an experiment has produced so far: its table (``rows`` in ``columns``
    order), plot arrays and summary numbers; ``done == total`` once it has finished."""

    name: str
    columns: tuple[str, ...]
    settings: Any
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    arrays: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    done: int = 0
    total: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def add(self, update: Update) -> None:
        for row in update.rows:
            missing = [c for c in self.columns if c not in row]
            if missing or len(row) != len(self.columns):
                raise ValueError(f"{self.name}: a row must have exactly the columns {self.columns}, got {tuple(row)}")
        self.rows.extend(update.rows)
        self.arrays.update(update.arrays)
        self.summary.update(update.summary)
        self.done, self.total = update.done, update.total

    def column(self, name: str, rows: list[dict[str, Any]] | None = None) -> np.ndarray:
        """One column of ``rows`` (default: all rows) as an array (float where it is numeric)."""
        values = [row[name] for row in (self.rows if rows is None else rows)]
        if values and all(isinstance(v, str) for v in values):
            return np.asarray(values)
        return np.asarray(values, dtype=np.float64)

    def select(self, **equal: Any) -> list[dict[str, Any]]:
        """The rows whose columns equal the given values, e.g. ``select(model="hopfield")``."""
        return [row for row in self.rows if all(row[k] == v for k, v in equal.items())]


def settings_fields(cls: type) -> dict[str, tuple[dataclasses.Field, Any]]:
    """name -> (field, resolved type) of a Settings dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: (f, hints[f.name]) for f in dataclasses.fields(cls)}


def make_settings(module: ModuleType, assignments: list[str]) -> Any:
    """The experiment's Settings with ``key=value`` strings applied (the CLI's --set).

    Lists are comma-separated (``dims=32,64``). An experiment whose Settings has
    ``preset`` and ``overrides`` takes any other key as a run parameter of that preset
    (``beta=16``, ``patterns.count=5``, see :class:`engine.params.Params`); the preset
    and the overrides are checked here, so a bad one fails before anything runs."""
    fields = settings_fields(module.Settings)
    values: dict[str, Any] = {}
    overrides: list[str] = []
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingError(f"--set {item!r}: expected key=value")
        if key in fields and key != "overrides":
            values[key] = _parse(key, text, fields[key][1])
        elif "overrides" in fields:
            overrides.append(f"{key}={text}")
        else:
            known = ", ".join(k for k in fields if k != "overrides")
            raise SettingError(f"--set {key}: not a setting of experiment {module.NAME}; known: {known}")
    if overrides:
        values["overrides"] = tuple(overrides)
    settings = module.Settings(**values)
    for name, (f, _) in fields.items():
        _check(name, getattr(settings, name), f.metadata)
    try:
        if "preset" in fields:
            preset_params(settings)
        if hasattr(module, "validate"):
            module.validate(settings)
    except SettingError:
        raise
    except ParamError as exc:
        known = ", ".join(k for k in fields if k != "overrides")
        raise SettingError(f"{exc} (the experiment's own settings: {known})") from None
    return settings


def preset_params(settings: Any) -> Params:
    """The run parameters of a Settings with ``preset`` and ``overrides``."""
    return load_preset(settings.preset).with_overrides(list(settings.overrides))


def _parse(key: str, text: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            raise SettingError(f"--set {key}={text}: expected a comma-separated list")
        return tuple(_parse(key, p, item) for p in parts)
    t = text.strip()
    try:
        if kind is int:
            return int(t)
        if kind is float:
            return float(t)
    except ValueError:
        raise SettingError(f"--set {key}={text}: expected {'an integer' if kind is int else 'a number'}") from None
    if kind is bool:
        if t.lower() not in ("true", "false"):
            raise SettingError(f"--set {key}={text}: expected true or false")
        return t.lower() == "true"
    return t


def _check(name: str, value: Any, meta: Any) -> None:
    for v in value if isinstance(value, tuple) else (value,):
        if isinstance(v, float) and not math.isfinite(v):
            raise SettingError(f"{name}: expected a finite number, got {v!r}")
        if "choices" in meta and v not in meta["choices"]:
            raise SettingError(f"{name}: {v!r} is not one of {', '.join(meta['choices'])}")
        if meta.get("low") is not None and v < meta["low"]:
            raise SettingError(f"{name}: {v!r} is out of range; expected >= {meta['low']}")
        if meta.get("high") is not None and v > meta["high"]:
            raise SettingError(f"{name}: {v!r} is out of range; expected <= {meta['high']}")


def execute(module: ModuleType, settings: Any, backend: Any,
            on_update: Callable[[Result, Update], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> Result:
    """Run an experiment to the end (or until ``should_stop()`` says so between two items)
    and return its Result; ``on_update(result, update)`` follows every item."""
    result = Result(module.NAME, tuple(module.COLUMNS), settings)
    updates: Iterator[Update] = module.run(settings, backend)
    try:
        for update in updates:
            result.add(update)
            if on_update is not None:
                on_update(result, update)
            if should_stop is not None and should_stop():
                break
    finally:
        updates.close()
    return result


def format_value(value: Any) -> str:
    """A table cell as CSV text: integers as they are, floats with 9 significant digits."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{float(value):.9g}"
    return str(value)


def csv_text(result: Result) -> str:
    """The table as CSV: a header of the columns, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([format_value(row[c]) for c in result.columns])
    return out.getvalue()


def write_csv(path: Any, result: Result) -> None:
    """The table as a CSV file, written atomically; an OSError names the path and why."""
    data = csv_text(result).encode()
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise OSError(os_error_message(path, exc)) from exc
