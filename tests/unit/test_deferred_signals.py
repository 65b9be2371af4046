"""Signals held over a critical section (deferred_signals.py): none lands inside it, each
lands once after it, through the handler that was there before."""

from __future__ import annotations

import signal
import threading

import pytest

from monitor.deferred_signals import deferred


def _nothing() -> None:
    pass


def test_a_ctrl_c_inside_lands_at_the_end() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt):
        with deferred((signal.SIGINT,), before_fatal=_nothing):
            signal.raise_signal(signal.SIGINT)
            done.append("the rest of the section")
    assert done == ["the rest of the section"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_each_signal_lands_once_through_the_handler_before() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, _frame: seen.append(signum))
    try:
        with deferred((signal.SIGUSR1,), before_fatal=_nothing):
            signal.raise_signal(signal.SIGUSR1)
            signal.raise_signal(signal.SIGUSR1)
            assert seen == []
        assert seen == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_before_fatal_runs_only_for_a_signal_whose_default_would_end_the_process() -> None:
    called: list[str] = []
    previous = signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    try:
        with deferred((signal.SIGUSR1,), before_fatal=lambda: called.append("stop")):
            signal.raise_signal(signal.SIGUSR1)
        assert called == []  # ignored before, ignored after: nothing to clean up for
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_outside_the_main_thread_nothing_is_held() -> None:
    handlers: list[object] = []

    def section() -> None:
        with deferred((signal.SIGINT,), before_fatal=_nothing):
            handlers.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=section)
    thread.start()
    thread.join()
    assert handlers == [signal.default_int_handler]
