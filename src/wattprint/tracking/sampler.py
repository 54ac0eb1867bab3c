"""The sampling thread: a sample every interval, checkpoints, and answers in bounded time.

Every reading of the power sources happens in this one daemon thread: the
periodic samples, and the samples the tracker asks for (a task boundary,
``flush()``, ``stop()``). A vendor library can hang (a stuck NVML call never
returns), and a hung call cannot be interrupted in Python, so whoever asks for
a sample waits at most ``answer_s`` seconds of real time. If no answer comes,
the source being read is marked failed from that moment with the reason, the
stuck thread is abandoned (its late result, if any, is thrown away: each
thread carries a generation number the meter checks), and a fresh thread
takes over without that source. ``stop()`` therefore returns in bounded time
whatever a sensor does, and the other sources go on being counted.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from wattprint._log import logger
from wattprint.tracking import ticks
from wattprint.tracking.clock import Clock, SystemClock
from wattprint.tracking.meter import Meter, Totals

DEFAULT_ANSWER_S = 3.0
"""Real seconds a caller waits for a sample before the reading is abandoned."""


class Sampler:
    """Sample ``meter`` every ``interval_s`` in a daemon thread; checkpoint now and then.

    Args:
        meter: the meter to sample.
        clock: the clocks (the interval and checkpoints run on its time).
        interval_s: time between two samples. Units: s.
        checkpoint_s: time between two checkpoints. Units: s.
        on_checkpoint: called in the thread after a sample when a checkpoint is due.
        answer_s: real time a caller waits for a sample (default
            :data:`DEFAULT_ANSWER_S`). Units: s.
        wants_checkpoint: whether a checkpoint would write anything now
            (default: always); where not, gathered samples wait for a full batch.
    """

    def __init__(
        self,
        meter: Meter,
        clock: Clock,
        *,
        interval_s: float,
        checkpoint_s: float,
        on_checkpoint: Callable[[], None],
        answer_s: float | None = None,
        wants_checkpoint: Callable[[], bool] | None = None,
    ) -> None:
        self.meter = meter
        self._clock = clock
        self._interval_s = interval_s
        self._checkpoint_s = checkpoint_s
        self._on_checkpoint = on_checkpoint
        self._wants_checkpoint = wants_checkpoint or (lambda: True)
        self._answer_s = DEFAULT_ANSWER_S if answer_s is None else answer_s
        self._cond = threading.Condition()
        # The thread's doorbell on the real clock: held while no sample is asked for.
        # A timed acquire of a plain lock wakes at half the cost of a condition's wait
        # (no waiter lock made, queued and removed each time); a caller rings it.
        self._bell = threading.Lock()
        self._bell.acquire()
        self._bell_fd = -1  # the C extension's doorbell (an eventfd), made with its thread
        self._generation = 0
        self._wanted = 0
        self._served = 0
        self._stopping = False
        self._latest: Totals = meter.totals
        self._threads: list[threading.Thread] = []
        self._warned_loop = False

    @property
    def latest(self) -> Totals:
        """The totals of the last whole sample (a checkpoint's are always fresh).

        Where the meter gathers samples raw (:meth:`Meter.gather`), this may be
        up to a batch of intervals old; :meth:`sample` is always current.
        """
        with self._cond:
            return self._latest

    def start(self) -> Totals:
        """Start the thread, take the baseline reading, and return the starting totals."""
        self._spawn()
        return self.sample()

    def _spawn(self) -> None:
        with self._cond:
            self._generation += 1
            generation = self._generation
        thread = threading.Thread(
            target=self._loop, args=(generation,), name="wattprint", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def sample(self) -> Totals:
        """Take a sample now (in the thread) and return the totals, in bounded time.

        A source whose read has not come back within ``answer_s`` is marked
        failed and left behind; a thread that is merely slow (not stuck in a
        read) is waited for a little longer. If no sample can be had at all,
        the last totals are returned.
        """
        rounds = len(self.meter.discovery.chosen) + 4
        for _ in range(rounds):
            with self._cond:
                if self._stopping and not self._threads_alive():
                    return self._latest
                self._wanted += 1
                wanted = self._wanted
                self._cond.notify_all()
                self._ring()
                deadline = time.monotonic() + self._answer_s
                while self._served < wanted:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._served >= wanted:
                    return self._latest
            self._unstick()
        with self._cond:
            return self._latest

    def stop(self) -> Totals:
        """Take the final sample, end the thread, and return the final totals (bounded)."""
        totals = self.sample()
        with self._cond:
            self._stopping = True
            self._generation += 1  # any thread still running ends at its next check
            self._cond.notify_all()
            self._ring()
        current = self._threads[-1] if self._threads else None
        if current is not None and current is not threading.current_thread():
            current.join(self._answer_s)
        if self._bell_fd >= 0 and not self._threads_alive():
            os.close(self._bell_fd)
            self._bell_fd = -1
        return totals

    def _ring(self) -> None:
        """Wake the thread waiting on the real clock (the caller holds the condition)."""
        if self._bell.locked():
            self._bell.release()
        if self._bell_fd >= 0:
            ticks.ring(self._bell_fd)

    def _threads_alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _unstick(self) -> None:
        """Fail the source a silent thread is stuck in, and start a fresh thread.

        Only a read that has lasted ``answer_s`` counts as stuck: a thread that
        was just slow to be scheduled (a busy machine) is left to answer.
        """
        stuck, since_s = self.meter.reading_now, self.meter.reading_since_s
        if stuck is None or time.monotonic() - since_s < self._answer_s:
            return
        self.meter.fail(
            stuck,
            f"stopped answering (no reading within {self._answer_s:g} s); its energy "
            "from then on is not counted",
        )
        self._spawn()

    def _loop(self, generation: int) -> None:
        if isinstance(self._clock, SystemClock):
            native = ticks.native_module() if self.meter.batches else None
            with self._cond:
                if native is not None and self._bell_fd < 0:
                    self._bell_fd = ticks.make_bell()
                bell = self._bell_fd
            if native is not None and bell >= 0:
                self._loop_native(generation, ticks.NativeTicks(self.meter, native), bell)
            else:
                self._loop_real(generation)
            return
        clock = self._clock
        next_due = clock.monotonic_s() + self._interval_s
        last_checkpoint = clock.monotonic_s()
        while True:
            with self._cond:
                while True:
                    if self._generation != generation:
                        return
                    if self._wanted > self._served:
                        break
                    now = clock.monotonic_s()
                    if now >= next_due:
                        break
                    clock.wait(self._cond, next_due - now)
                wanted = self._wanted
            due = self._whole_sample(generation, wanted, next_due, last_checkpoint)
            if due is None:
                return
            next_due, last_checkpoint = due

    def _loop_real(self, generation: int) -> None:
        """Run the loop on the real clock: wake on the doorbell, gather where the meter batches.

        This is what a tracker costs while nothing else happens, run once a
        second with cold caches: the path of a gathered sample is kept short.
        """
        monotonic, wall = time.monotonic, time.time
        gather, acquire = self.meter.gather, self._bell.acquire
        interval_s, checkpoint_s = self._interval_s, self._checkpoint_s
        next_due = monotonic() + interval_s
        last_checkpoint = monotonic()
        while True:
            # Unlocked reads: a caller changes these, then rings, so a change is
            # either seen here or ends the wait below at once.
            if self._generation != generation:
                return
            wanted = self._wanted
            if wanted <= self._served:
                now = monotonic()
                if now < next_due:
                    acquire(True, next_due - now)
                    continue
                last_checkpoint = self._unwanted_checkpoint(last_checkpoint, now)
                if now - last_checkpoint < checkpoint_s:
                    try:
                        gathered = gather(now, wall(), generation)
                    except Exception as err:  # the sampler must never die or raise
                        gathered = False
                        self._warn_loop(err)
                    if gathered:  # worked out with the next whole sample
                        next_due = now + interval_s
                        continue
            due = self._whole_sample(generation, wanted, next_due, last_checkpoint)
            if due is None:
                return
            next_due, last_checkpoint = due

    def _loop_native(self, generation: int, native: ticks.NativeTicks, bell: int) -> None:
        """Run the loop on the real clock with the ticks taken outside the interpreter.

        The thread wakes once a batch (or when rung, or when a process was
        created) instead of once an interval; see :mod:`wattprint.tracking.ticks`.
        """
        monotonic, interval_s = time.monotonic, self._interval_s
        next_due = monotonic() + interval_s
        last_checkpoint = monotonic()
        while True:
            if self._generation != generation:
                return
            wanted = self._wanted
            if wanted <= self._served:
                last_checkpoint = self._unwanted_checkpoint(last_checkpoint, next_due)
                until = last_checkpoint + self._checkpoint_s
                try:
                    next_due, due = native.tick(bell, next_due, interval_s, until, generation)
                except Exception as err:  # the sampler must never die or raise: go on in Python
                    self._warn_loop(err)
                    self._loop_real(generation)
                    return
                ticks.drain(bell)
                if not due:
                    continue
                wanted = self._wanted
            sampled = self._whole_sample(generation, wanted, next_due, last_checkpoint)
            if sampled is None:
                return
            next_due, last_checkpoint = sampled

    def _unwanted_checkpoint(self, last_checkpoint: float, at_s: float) -> float:
        """Return the last checkpoint's time, counting one due at ``at_s`` that writes nothing.

        Such a checkpoint takes no whole sample: the thread goes on gathering and
        asks again a checkpoint period later (a journal or an observer may come).
        """
        if at_s - last_checkpoint >= self._checkpoint_s and not self._wants_checkpoint():
            return at_s
        return last_checkpoint

    def _whole_sample(
        self, generation: int, wanted: int, next_due: float, last_checkpoint: float
    ) -> tuple[float, float] | None:
        """Sample, checkpoint when due, answer the callers; the next due times (None: end)."""
        clock = self._clock
        try:
            totals = self.meter.sample(clock.monotonic_s(), clock.wall_s(), generation)
        except Exception as err:  # the sampler must never die or raise
            totals = None
            self._warn_loop(err)
        now = clock.monotonic_s()
        if now >= next_due:
            next_due = now + self._interval_s
        if totals is not None and now - last_checkpoint >= self._checkpoint_s:
            last_checkpoint = now
            with self._cond:
                if self._generation == generation:
                    self._latest = totals
            self._checkpoint()
        with self._cond:
            if self._generation != generation:
                return None
            if totals is not None:
                self._latest = totals
            self._served = max(self._served, wanted)
            self._cond.notify_all()
        return next_due, last_checkpoint

    def _checkpoint(self) -> None:
        try:
            self._on_checkpoint()
        except Exception as err:  # a checkpoint must never stop the sampling
            self._warn_loop(err)

    def _warn_loop(self, err: Exception) -> None:
        if not self._warned_loop:
            self._warned_loop = True
            logger.warning("wattprint: a sample failed (%r); sampling goes on", err)
