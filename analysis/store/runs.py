"""Runs that hold a clip: who analyses it, whether they are still alive, and what is left
of those that died.

A run holds its clip from :meth:`~analysis.store.clips.ClipRecords.register_clip` (status
``pending``, then ``running``) until the clip is done or failed: the clip's row records
the owner, :class:`RunOwner` (host name, process id, the process's start time), and a
heartbeat, the time the run last reported progress (:meth:`RunLeases.heartbeat`, at most
every :data:`HEARTBEAT_INTERVAL_S` while frames are estimated).

A run is live (:func:`is_live`) when

- it is on this host: its process exists, is not a zombie, and started when recorded (a
  process id reused by another program is told apart by its start time);
- it is on another host (a shared PostgreSQL server): its heartbeat is less than
  :data:`LEASE_STALE_S` old (the hosts' clocks are assumed to agree, e.g. by NTP). The
  heartbeat is not renewed while the results are written (one transaction), so that
  limit is far above the time a clip's results take to write.

On SQLite every run is on the database's own host (its WAL journal works within one host
only), so runs are told alive by their process alone and the heartbeat is written once,
when the run starts: renewing it would wait for other programs' writes mid-estimation.

A pending or running row without an owner (written before leases existed) is dead. When
a store is opened, the clips of dead runs are marked failed with the reason
:data:`INTERRUPTED` (:meth:`RunLeases.recover_interrupted`); a second run of the same file
refuses while the first is live (:class:`ClipBusy`) and takes over a dead one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from analysis.errors import AnalysisError
from analysis.store.base import StoreBase
from analysis.store.engine import _guarded
from analysis.store.models import Clip, utcnow
from analysis.store.values import lookup_int

ACTIVE = ("pending", "running")
INTERRUPTED = "interrupted"
HEARTBEAT_INTERVAL_S = 10.0
LEASE_STALE_S = 600.0
# /proc/stat's boot time is recomputed by the kernel and can move by a second.
START_TOLERANCE_S = 2.0
HOST_MAX = 255


class ClipBusy(AnalysisError):
    """The same file is being analysed into the same session by a live run."""


@dataclasses.dataclass(frozen=True)
class RunOwner:
    """A process that runs analyses: host name, process id, process start (seconds since
    the epoch; None where the system does not tell)."""

    host: str
    pid: int
    started: float | None

    @classmethod
    def current(cls) -> RunOwner:
        pid = os.getpid()
        return cls(socket.gethostname()[:HOST_MAX], pid, process_started(pid))

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


@functools.cache
def _boot_time() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    return None


def _has_proc() -> bool:
    return _boot_time() is not None and Path("/proc/self/stat").exists()


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch, 0.01 s), from ``/proc``;
    None when it does not exist, is a zombie, or the system has no ``/proc``."""
    boot = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
    if boot is None or fields[0] in ("Z", "X"):  # zombie or dead: not running any more
        return None
    ticks = int(fields[19])  # field 22 of proc(5): start time in clock ticks after boot
    return round(boot + ticks / os.sysconf("SC_CLK_TCK"), 2)


def process_alive(pid: int, started: float | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs on this host."""
    if _has_proc():
        now_started = process_started(pid)
        if now_started is None:
            return False
        return started is None or abs(now_started - started) <= START_TOLERANCE_S
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_live(clip: Clip, here: RunOwner, now: dt.datetime) -> bool:
    """Whether ``clip`` is held by a live run (see the module docstring); ``here`` is this
    process, ``now`` naive UTC."""
    if clip.status not in ACTIVE or clip.owner_pid is None:
        return False
    if clip.owner_host == here.host:
        return process_alive(clip.owner_pid, clip.owner_started)
    return clip.heartbeat_at is not None and (
        now - clip.heartbeat_at < dt.timedelta(seconds=LEASE_STALE_S)
    )


def claim(clip: Clip, owner: RunOwner, now: dt.datetime) -> None:
    """Make ``owner`` the run that holds ``clip`` (heartbeat now)."""
    clip.owner_host, clip.owner_pid, clip.owner_started = owner.host, owner.pid, owner.started
    clip.heartbeat_at = now


def busy_error(clip: Clip) -> ClipBusy:
    owner = RunOwner(clip.owner_host or "?", clip.owner_pid or 0, clip.owner_started)
    since = ""
    if clip.heartbeat_at is not None:
        since = f" (last progress {clip.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
    return ClipBusy(
        f"{clip.file_name} is already being analysed in this session by "
        f"{owner.describe()}{since}; try again when it has finished."
    )


class RunLeases(StoreBase):
    """Heartbeats of the runs this process holds, and recovery of runs that died."""

    @_guarded
    def renew_lease(self, clip_id: int) -> bool:
        """Record that this process's run of ``clip_id`` is progressing; False (nothing
        written) when the clip is not held by this process any more."""
        here = RunOwner.current()
        with self._writing() as session:
            done = session.execute(
                update(Clip)
                .where(Clip.id == lookup_int(clip_id), Clip.status.in_(ACTIVE),
                       Clip.owner_host == here.host, Clip.owner_pid == here.pid)
                .values(heartbeat_at=utcnow())
            )
            return bool(done.rowcount)

    def heartbeat(
        self, clip_id: int, interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> Callable[[], None]:
        """A function to call as the run progresses: it renews the lease at most every
        ``interval_s`` and never raises (a missed heartbeat is not an error; the next one
        may succeed). On SQLite it does nothing (see the module docstring)."""
        if self._engine.dialect.name == "sqlite":
            return lambda: None
        last = time.monotonic()

        def beat() -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < interval_s:
                return
            last = now
            with contextlib.suppress(AnalysisError):
                self.renew_lease(clip_id)

        return beat

    @_guarded
    def recover_interrupted(self) -> list[int]:
        """Mark failed, with the reason ``"interrupted"``, every pending or running clip
        whose run is dead; returns their ids. Writes nothing when there are none."""
        here, now = RunOwner.current(), utcnow()
        with self._reading() as session:
            rows = session.scalars(select(Clip).where(Clip.status.in_(ACTIVE))).all()
            suspects = [row.id for row in rows if not is_live(row, here, now)]
        if not suspects:
            return []
        recovered = []
        with self._writing() as session:
            # read again, locked: a run may have taken one over meanwhile
            for row in session.scalars(
                select(Clip).where(Clip.id.in_(suspects)).with_for_update()
            ):
                if row.status in ACTIVE and not is_live(row, here, now):
                    row.status, row.error, row.finished_at = "failed", INTERRUPTED, now
                    recovered.append(row.id)
        return sorted(recovered)
