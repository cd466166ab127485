"""Counter-based randomness: a value per (seed, stream, id), computable anywhere.

Fields other tables depend on (an appointment's patient, slot and status; a
patient's date of birth) are pure functions of an id, so the generator of
medical records can recompute the appointment a record comes from without any
shared state or ordering between workers. splitmix64 over uint64 arrays.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def stream_key(seed: int, stream: str) -> np.uint64:
    """Return a 64-bit key for a named stream under `seed`."""
    digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def mix(x: np.ndarray) -> np.ndarray:
    """Return splitmix64's finaliser of a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def bits(seed: int, stream: str, ids: np.ndarray) -> np.ndarray:
    """Return 64 random bits per id, the same for the same (seed, stream, id)."""
    x = np.asarray(ids, dtype=np.uint64) * _GOLDEN
    return mix(x ^ np.full(x.shape, stream_key(seed, stream), dtype=np.uint64))


def uniform(seed: int, stream: str, ids: np.ndarray) -> np.ndarray:
    """Return a float in [0, 1) per id."""
    return (bits(seed, stream, ids) >> _S11).astype(np.float64) * (1.0 / (1 << 53))


def below(seed: int, stream: str, ids: np.ndarray, n) -> np.ndarray:
    """Return an int64 in [0, n) per id (`n` a scalar or an array)."""
    return np.floor(uniform(seed, stream, ids) * n).astype(np.int64)


def coprime_multiplier(n: int) -> int:
    """Return a multiplier near 0.618 n that is coprime with n: x -> (a x + c) mod n is a bijection."""
    a = max(1, int(n * 0.6180339887)) | 1
    while math.gcd(a, n) != 1:
        a += 1
    return a
