"""The meter's batches: samples taken raw by the sampling thread, worked out later.

The sampling thread wakes each interval with cold caches, and working a sample
out then costs several times what it does warm. Where every source is a model
read for a moment (:attr:`Meter.batches`: a VM, a container), a sample's raw
figures (``/proc/stat``, the tree) are kept, and the next whole sample works
the batch out in order, each exactly as it would have been at its own time.
The raw figures come from Python (:meth:`Gathering.gather`) or from the C
extension (:meth:`Gathering.add_ticks`, see :mod:`wattprint.tracking.ticks`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from wattprint.tracking.process_tree import ProcessTree, TreeSample

if TYPE_CHECKING:
    from wattprint.tracking.cgroup import CgroupTree
    from wattprint.tracking.totals import Totals

BATCH = 60
"""Samples of the sampling thread taken raw and worked out together, at most."""

BATCH_BYTES = 256 * 1024
"""Raw bytes a batch keeps at most (``/proc/stat`` grows with the CPUs). Units: bytes."""


class Gathering:
    """The batch half of :class:`~wattprint.tracking.meter.Meter` (its state is the meter's)."""

    batches: bool
    tree: ProcessTree | CgroupTree | None
    totals: Totals
    _has_baseline: bool
    _whole: threading.Lock
    _pending: list[tuple[float, float, bytes, TreeSample | None, int | None]]
    _read_stat: Callable[[], bytes]

    def gather(self, now_s: float, wall_s: float, generation: int | None = None) -> bool:
        """Take a sample's raw figures now; the next :meth:`sample` works them out first.

        The sampling thread wakes each interval with cold caches, and working
        a sample out then costs several times what it does warm: so it only
        reads ``/proc/stat`` (and the tree), and BATCH samples are worked out
        together, each exactly as it would have been at its own time. Only
        where :attr:`batches` (every source a model read for a moment).

        Returns:
            False when nothing was taken (no batching here, no baseline yet, or
            a batch is full): the caller takes a whole sample instead.
        """
        pending = self._pending
        if not self.batches or len(pending) >= BATCH - 1 or not self._has_baseline:
            return False
        if pending and (len(pending) + 1) * len(pending[-1][2]) > BATCH_BYTES:
            return False
        with self._whole:
            tree = self.tree.sample() if self.tree is not None else None
            pending.append((now_s, wall_s, self._read_stat(), tree, generation))
        return True

    def gather_room(self, raw_bytes: int) -> int:
        """How many more samples may be gathered raw now (0: take a whole sample).

        ``raw_bytes`` is a gathered sample's size: a batch holds at most
        BATCH samples and about :data:`BATCH_BYTES` of raw files.
        """
        if not self.batches or not self._has_baseline:
            return 0
        room = min(BATCH, BATCH_BYTES // max(raw_bytes, 1)) - 1 - len(self._pending)
        return room if room > 0 else 0

    def add_ticks(
        self,
        ticks: list[tuple[float, float, tuple[bytes | None, ...]]],
        pids: tuple[int, ...],
        generation: int | None,
        *,
        parents: tuple[int, ...] | None = (),
    ) -> None:
        """Keep ticks read raw outside the interpreter (``/proc/stat``, then the tree's files).

        Each is kept as :meth:`gather` would have kept it at its moment; one
        older than the newest sample (a caller's, taken meanwhile) is dropped,
        that sample covers its interval. ``parents``: tracked processes that
        made new ones; their descendants are looked for after the last tick
        (None: below every tracked process).
        """
        tree = self.tree
        with self._whole:
            pending = self._pending
            newest = pending[-1][0] if pending else self.totals.monotonic_s
            for now_s, wall_s, raws in ticks:
                stat = raws[0]
                if now_s <= newest or stat is None:
                    continue
                tree_read = None
                if isinstance(tree, ProcessTree):
                    tree_read = tree.replay(pids, raws[1:])
                pending.append((now_s, wall_s, stat, tree_read, generation))
                newest = now_s
            if (parents is None or parents) and isinstance(tree, ProcessTree):
                tree.discover(parents)
