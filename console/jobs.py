"""Background jobs for the DB Tools page: one backup, verify or restore at a time,
run on a thread with its progress kept for the page to show, audited when it ends."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from hms import audit_log
from hms.connection import ConnectionInfo, session
from hms.errors import HmsError

log = logging.getLogger(__name__)
KEEP = 20  # finished jobs remembered for the page


@dataclass
class Job:
    """One backup, verify or restore: what it is, who asked, how far it got, how it ended."""

    kind: str
    target: str
    actor: str
    source: str
    total: int | None = None
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    state: str = "running"  # running, success, failure
    done: int = 0
    message: str = ""
    problems: list[str] = field(default_factory=list)
    phase: str = ""  # what the job is doing now, for jobs of several steps ("rolling forward")
    started: float = field(default_factory=time.time)
    finished: float | None = None
    estimated: bool = False  # the total is an estimate (a dump's size, from the tables' size)
    phase_started: float = field(default_factory=time.time)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        # An estimate never claims to be done before the job is.
        return min(99 if self.estimated else 100, int(100 * self.done / self.total))

    @property
    def seconds_left(self) -> int | None:
        """The time left at the rate so far, once there is a rate to go by; None when unknown."""
        elapsed = time.time() - self.phase_started
        if not self.total or self.done <= 0 or elapsed < 1 or self.done >= self.total:
            return None
        return int(elapsed * (self.total - self.done) / self.done)

    def advance(self, n: int) -> None:
        self.done += n

    def begin(self, phase: str, total: int | None = None) -> None:
        """Start the job's next step: its progress counts from zero again, out of `total`."""
        self.phase, self.total, self.done = phase, total, 0
        self.estimated, self.phase_started = False, time.time()


class Jobs:
    """The app's job list; at most one job runs at a time, so two restores never race."""

    def __init__(self, audit_login: Callable[[], ConnectionInfo], audit_schema: str):
        self._lock = threading.Lock()
        self._jobs: list[Job] = []
        self._audit_login = audit_login
        self._audit_schema = audit_schema

    def running(self) -> Job | None:
        with self._lock:
            return next((job for job in self._jobs if job.state == "running"), None)

    def recent(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return next((job for job in self._jobs if job.id == job_id), None)

    def start(self, job: Job, work: Callable[[Job], str]) -> bool:
        """Start `work(job)` on a thread; False when another job is running."""
        with self._lock:
            if any(j.state == "running" for j in self._jobs):
                return False
            self._jobs = (self._jobs + [job])[-KEEP:]
        threading.Thread(target=self._run, args=(job, work), name=f"hms-{job.kind}-{job.id}",
                         daemon=True).start()
        return True

    def _run(self, job: Job, work: Callable[[Job], str]) -> None:
        outcome = "failure"
        try:
            job.message = work(job)
            outcome = "failure" if job.problems else "success"
        except HmsError as exc:
            job.message = exc.message
        except Exception:  # noqa: BLE001 - a job thread must always end in a state the page can show
            log.exception("DB Tools %s job failed", job.kind)
            job.message = "the job hit an unexpected error; see the console's log"
        finally:
            self._audit(job, outcome)
            job.finished = time.time()
            job.state = outcome  # last: a job is 'running' until its audit entry is written

    def _audit(self, job: Job, outcome: str) -> None:
        detail = job.message if not job.problems else f"{job.message}: " + "; ".join(job.problems)
        try:
            with session(self._audit_login(), database=None) as conn:
                audit_log.record(conn, self._audit_schema, actor=job.actor, action=f"backup {job.kind}",
                                 target=job.target, outcome=outcome, detail=detail, source=job.source)
        except Exception:  # noqa: BLE001 - the job's own outcome stays on the page either way
            log.exception("could not audit DB Tools %s job", job.kind)
