"""SIGINT, SIGTERM and SIGHUP end a command cleanly, as an :class:`Interrupted` exception.

main.py runs every sub-command inside :func:`raising_signals`: the first of these signals
raises Interrupted in the main thread where Python runs next, so ``finally`` blocks and
context managers run as the exception unwinds (:func:`engine.atomic_files.atomic_path`
removes its temporary file; an existing target stays as it was). Signals that come while
it unwinds are remembered and not raised again, so the cleanup itself is not cut short.
Without this, SIGTERM and SIGHUP end Python at once, with no cleanup.

Code where an exception raised at an arbitrary point does harm runs inside
:func:`deferred_signals` instead, and there a signal only sets a flag, which
:meth:`SignalGuard.check` raises as Interrupted at a safe point: between the steps of a
simulation (raised while the kernels' worker threads run, it can leave a lock of their
futures held, and the interpreter then waits for them forever at exit), and between the
frames of an export (raised in a Python method that Qt calls, pyqtgraph's paint, it is
swallowed by PyQt or leaves a QPainter active: a segmentation fault in the 3D view).
:func:`check_pending` is such a point too: :func:`engine.atomic_files.atomic_path` calls
it just before it renames a finished file over its target, so a signal that came while
the file was written leaves the target as it was.

A command ended by a signal exits with 128 + the signal's number (:attr:`Interrupted.exit_code`:
130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), as a shell reports a process killed by it.
Handlers can only be installed from the main thread; elsewhere these are no-ops.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

#: the signals that end a command (SIGHUP does not exist on Windows)
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A command ended by a signal (a KeyboardInterrupt, so ``except Exception`` lets it pass)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class SignalGuard:
    """The state of one :func:`raising_signals` block: the first signal, and whether it is
    raised at once (the default) or deferred to :meth:`check`."""

    def __init__(self) -> None:
        self.signum: int | None = None  #: the first signal received
        self._deferring = 0
        self._raised = False

    def handle(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
        if not self._deferring:
            self.check()

    def check(self) -> None:
        """Raise Interrupted for a signal received and not raised yet."""
        if self.signum is not None and not self._raised:
            self._raised = True
            raise Interrupted(self.signum)


_active: SignalGuard | None = None


@contextlib.contextmanager
def raising_signals() -> Iterator[SignalGuard]:
    """Inside the block, the first SIGINT, SIGTERM or SIGHUP raises Interrupted (see the
    module docstring); the previous handlers come back on leaving it."""
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield SignalGuard()
        return
    guard, outer = SignalGuard(), _active
    previous = {s: signal.signal(s, guard.handle) for s in SIGNALS}
    _active = guard
    try:
        yield guard
    finally:
        _active = outer
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def deferred_signals() -> Iterator[SignalGuard]:
    """Inside the block a signal only sets the guard's flag; call ``guard.check()`` where
    stopping is safe. A signal that came inside the block is raised on leaving it normally.
    Installs the handlers itself when no :func:`raising_signals` block is active."""
    with contextlib.ExitStack() as stack:
        guard = _active if _active is not None else stack.enter_context(raising_signals())
        guard._deferring += 1
        try:
            yield guard
        finally:
            guard._deferring -= 1
        guard.check()


def check_pending() -> None:
    """Raise Interrupted for a signal received in the active block and not raised yet."""
    if _active is not None:
        _active.check()
