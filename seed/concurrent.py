"""Work side by side in threads, the first error raised in the caller once every thread has
ended: distinct jobs (side_by_side), or a list of items shared by sessions (each_of)."""

from __future__ import annotations

import threading
from typing import Callable, ContextManager, Iterable, TypeVar

Item = TypeVar("Item")


def _run_all(workers: list[Callable[[], None]], errors: list[BaseException]) -> None:
    def run_one(worker) -> None:
        try:
            worker()
        except BaseException as exc:   # noqa: BLE001 - re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run_one, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def side_by_side(*jobs: Callable[[], None]) -> None:
    """Run the jobs at once; when one fails, raise its error once all have ended."""
    _run_all(list(jobs), [])


def each_of(items: Iterable[Item], sessions: int, open_session: Callable[[], ContextManager],
            do: Callable[[object, Item], None]) -> None:
    """`do(conn, item)` for every item, in their order, by `sessions` sessions at once (each
    opened by `open_session()`); after a failure no session starts another item."""
    pending, lock, errors = list(items), threading.Lock(), []

    def session_worker() -> None:
        with open_session() as conn:
            while True:
                with lock:
                    if not pending or errors:
                        return
                    item = pending.pop(0)
                do(conn, item)

    _run_all([session_worker] * max(1, sessions), errors)
