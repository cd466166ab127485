"""Value pools built once per process with Faker, then drawn from with numpy.

Faker is far too slow to call per row (about 0.45 ms for a patient); built once,
its names, streets, cities and e-mail domains are drawn from with vectorised
sampling instead. The pools depend only on the seed, and Faker is pinned
(pyproject.toml), so the same seed gives the same pools in every worker.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass

import numpy as np
from faker import Faker
from faker.providers.person.en_US import Provider as PersonProvider

from . import text, vocabulary

STREETS = 3_000
CITIES = 2_000
AREA_CODES = 300


@dataclass(frozen=True)
class Pools:
    """Arrays of values (object arrays, so fancy indexing returns Python strings)."""

    female_first: np.ndarray
    female_first_lower: np.ndarray
    female_first_p: np.ndarray
    male_first: np.ndarray
    male_first_p: np.ndarray
    male_first_lower: np.ndarray
    last: np.ndarray
    last_p: np.ndarray
    last_lower: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    email_domains: np.ndarray
    staff_domain: str
    area_codes: np.ndarray
    medications: tuple[tuple[str, str, str], ...]   # (name, form, strength)


def _weighted(ordered: dict) -> tuple[np.ndarray, np.ndarray]:
    names = [_clean(n) for n in ordered]
    weights = np.array(list(ordered.values()), dtype=np.float64)
    return np.array(names, dtype=object), weights / weights.sum()


def _clean(text: str) -> str:
    # The values go into tab-separated LOAD DATA files: no tabs, newlines or backslashes.
    return " ".join(text.replace("\\", " ").split())


@functools.lru_cache(maxsize=4)
def build(seed: int) -> Pools:
    """Return the pools for `seed` (cached per process)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    # Faker's own name tables with their US frequency weights.
    female, female_p = _weighted(PersonProvider.first_names_female)
    male, male_p = _weighted(PersonProvider.first_names_male)
    last, last_p = _weighted(PersonProvider.last_names)
    # Street names only; house numbers and flats are drawn per row (tables.py).
    streets = np.array(sorted({_clean(fake.street_name()) for _ in range(STREETS)}), dtype=object)
    cities = np.array(sorted({_clean(fake.city()) for _ in range(CITIES)}), dtype=object)
    domains = np.array(sorted({fake.free_email_domain() for _ in range(50)}), dtype=object)
    area = np.array(sorted({int(fake.numerify("%##")) for _ in range(AREA_CODES)}), dtype=object)
    area = np.array([str(a) for a in area], dtype=object)
    return Pools(female, _for_email(female), female_p, male, male_p, _for_email(male), last, last_p,
                 _for_email(last), streets, cities, domains, staff_domain="hms-hospital.org",
                 area_codes=area, medications=medications(seed))


def as_bytes(p: Pools) -> dict[str, np.ndarray]:
    """Return every text pool of `p` encoded for text.pick, by field name."""
    names = ("female_first", "female_first_lower", "male_first", "male_first_lower", "last", "last_lower",
             "streets", "cities", "email_domains", "area_codes")
    return {name: text.encoded(getattr(p, name)) for name in names}


def _for_email(names: np.ndarray) -> np.ndarray:
    """The names as they appear in an e-mail address: lower case, letters and hyphens only."""
    return np.array(["".join(ch for ch in n.lower() if ch.isalnum() or ch == "-") for n in names], dtype=object)


def medications(seed: int, count: int = 1_000) -> tuple[tuple[str, str, str], ...]:
    """Return `count` unique (name, form, strength) triples, shuffled by `seed`."""
    combos = []
    for (drug, forms, strengths) in vocabulary.DRUGS:
        for form, strength, release in itertools.product(forms, strengths, vocabulary.RELEASES):
            if release and form not in ("Tablet", "Capsule"):
                continue
            name = f"{drug}{release} {strength} {form}"
            combos.append((name, form, strength))
    # Plain releases first, so the 1,000 kept are mostly ordinary products.
    combos.sort(key=lambda c: (" ER " in c[0] or " XR " in c[0], c[0]))
    if len(combos) < count:
        raise ValueError(f"only {len(combos)} medication names can be made")
    kept = combos[:count]
    random.Random(seed).shuffle(kept)
    return tuple(kept)


def department_names() -> list[str]:
    """The fifteen departments, in id order."""
    return list(vocabulary.DEPARTMENTS)
