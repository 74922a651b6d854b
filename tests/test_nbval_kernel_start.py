"""nbval's kernels are started again when they die as they start (conftest)."""

from __future__ import annotations

import pytest
from conftest import KERNEL_STARTS, retrying_kernel_start


def starts(*outcomes):
    """A kernel start raising each outcome that is an exception, else returning it."""
    calls = []

    def start(*args, **kwargs):
        calls.append((args, kwargs))
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return start, calls


DIED = RuntimeError("Kernel died before replying to kernel_info")


def test_nbval_starts_its_kernels_through_the_retry() -> None:
    from nbval import kernel

    assert kernel.start_new_kernel.__wrapped__.__module__ == "nbval.kernel"


def test_a_kernel_that_died_starting_is_started_again() -> None:
    start, calls = starts(DIED, DIED, ("km", "kc"))

    assert retrying_kernel_start(start)(kernel_name="k", cwd="nb") == ("km", "kc")
    assert calls == [((), {"kernel_name": "k", "cwd": "nb"})] * 3


def test_the_last_failure_is_raised_after_every_start_failed() -> None:
    start, calls = starts(*[DIED] * KERNEL_STARTS, ("km", "kc"))

    with pytest.raises(RuntimeError, match="died before replying"):
        retrying_kernel_start(start)()
    assert len(calls) == KERNEL_STARTS


def test_a_kernel_that_does_not_answer_in_time_is_not_started_again() -> None:
    start, calls = starts(RuntimeError("Kernel didn't respond in 60 seconds"), ("km", "kc"))

    with pytest.raises(RuntimeError, match="didn't respond"):
        retrying_kernel_start(start)()
    assert len(calls) == 1
