"""How the seed tests seed a database: a tiny scale, a fixed seed date, a number of workers."""

from __future__ import annotations

from datetime import date

from seed.run import parse_options, run

SCALE = 0.0005
AS_OF = date(2025, 6, 2)


def seeded(make_database, workers: int, **kwargs):
    """A new database from the `make_database` factory, seeded at SCALE by `workers` sessions."""
    info = make_database()
    run(info, parse_options(str(SCALE), "7", str(workers), as_of_text=AS_OF.isoformat()), quiet=True, **kwargs)
    return info
