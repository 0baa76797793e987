"""Caches bounded in bytes, not in entries. Pure (no streamlit).

``st.cache_resource(max_entries=48)`` bounds how many simulations the page keeps, not how large they
are: 48 runs at the page's largest size (``tco.budget.PAGE_MAX_CELLS``, about 150 MB each) are
7 GB. A ``ByteLRU`` keeps values while their total size stays within its limit and drops the least
recently used beyond it; a value larger than the whole limit is returned but not kept.

Sizes are measured, not declared: numpy arrays by ``nbytes``, pandas objects by their deep memory
use, bytes and strings by length, containers and plain objects by walking what they hold (each
object once). Values can grow after they are stored (``cached_property`` tables computed when a tab
first needs them): a cache of such values (``values_grow``) looks at every entry at each insertion
before deciding what to drop, and measures again those whose ``growth_mark`` moved (an attribute or
item gained, on the value or on one of its attributes): walking every kept run's scenario and
arrays again at each insertion cost 6 ms per kept run, a tenth of a slider step after a few
steps. A cache of values that never change after they are made (charts, file bytes) measures each
once, when it is stored: measuring a chart walks all its data, and measuring every kept chart
again on each insertion was a twentieth of a slider step.
Runs being computed are not counted; each is bounded by the run budget on its own.
"""

from __future__ import annotations

import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")
MAX_DEPTH = 12  # nesting levels walked; deeper parts count by their shallow size
# Shared by every value (classes, modules, functions): not counted.
SHARED = (type, types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType)


def size_of(obj: Any) -> int:
    """Bytes held by ``obj``, counting each object it reaches once."""
    return _size(obj, set(), 0)


def _size(obj: Any, seen: set[int], depth: int) -> int:
    if obj is None or id(obj) in seen or isinstance(obj, SHARED):
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, pd.DataFrame | pd.Series | pd.Index):
        usage = obj.memory_usage(deep=True)
        return int(usage.sum() if isinstance(usage, pd.Series) else usage)
    if isinstance(obj, str | bytes | bytearray | memoryview | int | float | complex) or depth >= MAX_DEPTH:
        return sys.getsizeof(obj)
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(_size(k, seen, depth + 1) + _size(v, seen, depth + 1)
                                        for k, v in obj.items())
    if isinstance(obj, list | tuple | set | frozenset):
        return sys.getsizeof(obj) + sum(_size(v, seen, depth + 1) for v in obj)
    if hasattr(obj, "to_plotly_json"):  # a plotly figure: its traces and layout as plain data,
        # read where the figure holds them (``to_plotly_json`` deep-copies them first: measuring
        # the Overview's two charts that way was a tenth of a slider step's page work)
        data, layout = getattr(obj, "_data", None), getattr(obj, "_layout", None)
        if isinstance(data, list) and isinstance(layout, dict):
            return _size(data, seen, depth + 1) + _size(layout, seen, depth + 1)
        return _size(obj.to_plotly_json(), seen, depth + 1)
    inner = getattr(obj, "__dict__", None)
    return sys.getsizeof(obj) + (_size(inner, seen, depth + 1) if isinstance(inner, dict) else 0)


def growth_mark(obj: Any) -> tuple[int, ...]:
    """How many attributes or items ``obj`` and each of its attributes or items hold: a value
    grows by gaining them (a ``cached_property`` computing a table, on a run or on what it
    holds), so an unchanged mark means an unchanged size. Deeper parts are never changed in place
    (scenarios, arrays and tables are replaced, not edited)."""
    def count(x: Any) -> int:
        if isinstance(x, dict | list | tuple | set | frozenset):
            return len(x)
        inner = getattr(x, "__dict__", None)
        return len(inner) if isinstance(inner, dict) and not isinstance(x, SHARED) else 0

    inner = getattr(obj, "__dict__", None)
    parts = (list(inner.values()) if isinstance(inner, dict) else
             list(obj.values()) if isinstance(obj, dict) else
             list(obj) if isinstance(obj, list | tuple) else [])
    return (count(obj), *(count(x) for x in parts))


class ByteLRU:
    """A thread-safe least-recently-used cache holding at most ``max_bytes`` of values.

    Parameters
    ----------
    max_bytes : int
        The most the kept values may hold together, as measured by ``sizer``.
    sizer : callable
        Bytes of one value; ``size_of`` by default.
    values_grow : bool
        Whether a kept value can grow (tables it computes when first asked for): if so every
        insertion measures all kept values again; if not, each is measured once, when stored.
    """

    def __init__(self, max_bytes: int, sizer: Callable[[Any], int] = size_of,
                 values_grow: bool = True) -> None:
        self.max_bytes = max_bytes
        self.values_grow = values_grow
        self._sizer = sizer
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        """Bytes of each kept value when last measured."""
        self._marks: dict[Hashable, tuple[int, ...]] = {}
        """``growth_mark`` of each kept value when last measured (``values_grow`` only)."""
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def nbytes(self) -> int:
        """Bytes the kept values hold now."""
        with self._lock:
            return sum(self._sizer(v) for v in self._items.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self._marks.clear()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``compute()`` (once, however many threads ask at once)."""
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    break
            waiting.wait()  # another thread computes it; take its result (or compute if it failed)
        try:
            value = compute()
            self._keep(key, value)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            done.set()

    def _keep(self, key: Hashable, value: Any) -> None:
        """Store ``value`` and drop the least recently used values until all fit in the limit."""
        mark = growth_mark(value) if self.values_grow else ()  # before measuring: growth meanwhile shows
        size = self._sizer(value)
        with self._lock:
            if size > self.max_bytes:
                return
            if self.values_grow:
                for k, v in self._items.items():
                    now = growth_mark(v)
                    if now != self._marks[k]:
                        self._sizes[k], self._marks[k] = self._sizer(v), now
            total = sum(self._sizes.values())
            while self._items and total + size > self.max_bytes:
                old, _ = self._items.popitem(last=False)
                total -= self._sizes.pop(old)
                self._marks.pop(old, None)
            self._items[key] = value
            self._sizes[key] = size
            if self.values_grow:
                self._marks[key] = mark


def memoize(cache: ByteLRU) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Keep a function's results in ``cache``, keyed by its (hashable) positional arguments."""
    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        @wraps(fn)
        def wrapper(*args: Hashable) -> T:
            return cache.get((fn.__name__, *args), lambda: fn(*args))

        wrapper.cache = cache  # type: ignore[attr-defined]
        # Whether a result is kept for these arguments: a tab shows it at once, and asks before
        # computing one.
        wrapper.kept = lambda *args: (fn.__name__, *args) in cache  # type: ignore[attr-defined]
        return wrapper
    return decorate


class ByObject:
    """Results of a function of an object that is never changed (a loaded scenario), kept for the
    ``max_entries`` objects and arguments most recently asked about. Such objects are not hashable
    (they hold dicts), so they are known by identity; each entry holds its object, so no other
    object can take its identity while the entry lives. Thread-safe.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[int, Hashable], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, obj: Any, args: Hashable, compute: Callable[[], T]) -> T:
        """The result kept for ``obj`` and ``args``, else ``compute()`` (kept unless it raises)."""
        key = (id(obj), args)
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and kept[0] is obj:
                self._items.move_to_end(key)
                return kept[1]
        value = compute()
        with self._lock:
            self._items[key] = (obj, value)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value
