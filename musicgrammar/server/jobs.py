"""A bounded job queue for design runs: a fixed number run at once, the rest wait their turn.

Jobs run in worker threads of one process, so the models that a run loads stay warm for the next
one. A job that raises is marked failed with a one-line reason; nothing it raises reaches the server.
Each job keeps an append-only list of events (node progress, then done or failed) that any number of
readers follow by index, which is what the SSE stream and the status call read.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from musicgrammar.errors import MusicGrammarError

__all__ = ["Job", "JobQueue", "QueueFullError", "JobStatus"]

JobStatus = Literal["queued", "running", "done", "failed"]
log = logging.getLogger("musicgrammar.server")


class QueueFullError(MusicGrammarError):
    """More jobs are waiting than the queue holds; the caller should retry later."""


@dataclass
class Job:
    """One queued piece of work and everything a client may ask about it."""

    id: str
    kind: str
    run_id: str | None = None
    status: JobStatus = "queued"
    error: str | None = None
    result: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The object `GET /api/jobs/{job}` returns."""
        return {"job": self.id, "kind": self.kind, "status": self.status, "run_id": self.run_id, "error": self.error,
                "created": self.created, "started": self.started, "finished": self.finished, "result": self.result}  # fmt: skip

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed")


# A job's work: it receives an `emit(event_dict)` callback and returns the job's result object.
Work = Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]]


class JobQueue:
    """Runs at most `concurrency` jobs at once and holds at most `max_waiting` more."""

    def __init__(self, concurrency: int = 1, max_waiting: int = 100, keep: int = 1000) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._keep = keep  # finished jobs remembered for status calls; the oldest are forgotten first
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="musicgrammar-job")

    def submit(self, kind: str, work: Work, run_id: str | None = None) -> Job:
        """Queue `work`; raises QueueFullError when `max_waiting` jobs are already waiting."""
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.status == "queued")
            if waiting >= self.max_waiting:
                raise QueueFullError(f"{waiting} jobs are waiting (the limit is {self.max_waiting}); try again later")
            job = Job(id=uuid.uuid4().hex[:16], kind=kind, run_id=run_id)
            job.events.append({"event": "queued", "t": 0.0})
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
            for job in self._jobs.values():
                out[job.status] += 1
            return out

    def events_since(self, job: Job, index: int) -> list[dict[str, Any]]:
        """Events from position `index` on (a copy: the worker may append meanwhile)."""
        with self._lock:
            return list(job.events[index:])

    def shutdown(self) -> None:
        """Stop taking work; waiting jobs are dropped, running ones finish in their threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _emit(self, job: Job, event: dict[str, Any]) -> None:
        with self._lock:
            job.events.append(event | {"t": round(time.time() - job.created, 3)})

    def _run(self, job: Job, work: Work) -> None:
        with self._lock:
            job.status, job.started = "running", time.time()
        self._emit(job, {"event": "running"})
        try:
            result = work(lambda event: self._emit(job, event))
        except MusicGrammarError as exc:
            self._finish(job, None, str(exc))
        except Exception as exc:  # a bug in a run must not take the server down: record it, log it, go on
            log.exception("job %s failed", job.id)
            self._finish(job, None, f"internal error ({type(exc).__name__}: {exc})")
        else:
            self._finish(job, result, None)

    def _finish(self, job: Job, result: dict[str, Any] | None, error: str | None) -> None:
        with self._lock:
            job.result, job.error, job.finished = result, error, time.time()
            job.status = "failed" if error else "done"
        self._emit(job, {"event": job.status} | ({"error": error} if error else {}))

    def _forget_old(self) -> None:
        ended = [j for j in self._jobs.values() if j.ended]
        for job in sorted(ended, key=lambda j: j.created)[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job.id]
