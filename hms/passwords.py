"""Passwords for MySQL accounts: a generator and the policy given passwords must meet.

The policy (stated once, here, and shown to users): 12 to 128 printable ASCII
characters with no spaces at either end, containing a lower-case letter, an
upper-case letter, a digit and a symbol, not containing the account name, and not in
the shipped list of common passwords (common_passwords.txt, written by
scripts/make_common_passwords.py: well-known words with digits and symbols added,
which meet the rules above yet are among an attacker's first guesses).
Generated passwords are 20 characters from `secrets`, always meeting the policy, without
look-alikes (0/O/o, 1/l/I) or characters a shell treats specially (GENERATED_ALPHABET).

The server is only ever sent a password's hash (`native_hash`, `caching_sha2_hash`;
hms.dialect picks the one the server family stores), never the password: MariaDB
writes CREATE/ALTER USER ... IDENTIFIED BY '<password>' into its binary log as
typed, and every server writes a CALL's arguments into its general and slow logs.
The policy is therefore checked here, before hashing: the server cannot see it.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import string
from importlib import resources

from .errors import HmsError

MIN_LENGTH = 12
MAX_LENGTH = 128
GENERATED_LENGTH = 20
# Symbols a generated password uses: none a shell treats specially anywhere in a word
# (no ! # * ? ~ ^ = $ & ; | < > ( ) quotes or backslash), safe in option files.
SYMBOLS = "%+-.:@_,"
# Characters read one for another (0/O/o, 1/l/I) are never generated.
LOOK_ALIKES = "0Oo1lI"
GENERATED_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits + SYMBOLS if ch not in LOOK_ALIKES)
POLICY = (f"{MIN_LENGTH}-{MAX_LENGTH} printable ASCII characters with a lower-case letter, "
          "an upper-case letter, a digit and a symbol, not containing the account name, "
          "and not a common password")


class WeakPassword(HmsError):
    """A given password does not meet the policy."""


def generate(length: int = GENERATED_LENGTH) -> str:
    """Return a new random password that meets the policy, without look-alike or shell-special characters."""
    while True:
        password = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(length))
        if password[0].isalnum() and not problems(password):  # never read as an option ("-...")
            return password


def problems(password: str, account: str | None = None) -> list[str]:
    """Return what the password lacks under the policy; empty when it passes."""
    found = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        found.append(f"is {len(password)} characters long (needs {MIN_LENGTH}-{MAX_LENGTH})")
    if any(not (32 <= ord(ch) < 127) for ch in password):
        found.append("holds characters that are not printable ASCII")
    if password != password.strip():
        found.append("starts or ends with a space")
    for label, chars in (("a lower-case letter", string.ascii_lowercase),
                         ("an upper-case letter", string.ascii_uppercase),
                         ("a digit", string.digits), ("a symbol", string.punctuation)):
        if not any(ch in chars for ch in password):
            found.append(f"lacks {label}")
    if account and len(account) >= 3 and account.lower() in password.lower():
        found.append("contains the account name")
    if password.lower() in common_passwords():
        found.append("is a common password (a well-known word with digits and a symbol added, "
                     "among the first an attacker tries)")
    return found


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check(password: str, account: str | None = None) -> str:
    """Return `password` when it meets the policy, else raise WeakPassword (never echoing it)."""
    found = problems(password, account)
    if found:
        raise WeakPassword(f"the password {'; '.join(found)}", f"Use {POLICY}")
    return password


# -- hashes the server stores ----------------------------------------------------------
# caching_sha2_password's stored form: $A$<rounds / 1000, 3 digits>$<20-byte salt><43-char digest>.
SHA2_ROUNDS = 5000
SHA2_SALT_LENGTH = 20
# The crypt(3) alphabet, in its order: 6 bits per character.
_CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Where each digest byte goes in the text, three bytes (four characters) at a time.
_SHA256_ORDER = ((0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5),
                 (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29))


def native_hash(password: str) -> str:
    """Return mysql_native_password's stored hash: '*' and the upper-case hex of SHA1(SHA1(password)).

    What MariaDB's PASSWORD() gives; `IDENTIFIED BY PASSWORD '<hash>'` sets it.
    """
    inner = hashlib.sha1(password.encode("utf-8")).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


def caching_sha2_hash(password: str, salt: str | None = None) -> str:
    """Return caching_sha2_password's stored hash ($A$005$...), with a random salt unless given.

    MySQL 8 stores SHA-crypt (SHA-256, 5,000 rounds) of the password with a 20-byte salt;
    `IDENTIFIED WITH caching_sha2_password AS '<hash>'` sets it. The salt is drawn from
    the crypt alphabet, so the hash is plain ASCII without quotes or '$'.
    """
    if salt is None:
        salt = "".join(secrets.choice(_CRYPT64) for _ in range(SHA2_SALT_LENGTH))
    if len(salt) != SHA2_SALT_LENGTH or "$" in salt:
        raise ValueError(f"a caching_sha2_password salt is {SHA2_SALT_LENGTH} characters without '$'")
    digest = sha256_crypt(password.encode("utf-8"), salt.encode("ascii"), SHA2_ROUNDS)
    return f"$A${SHA2_ROUNDS // 1000:03d}${salt}{digest}"


def sha256_crypt(password: bytes, salt: bytes, rounds: int) -> str:
    """Return the 43-character digest of SHA-crypt with SHA-256 (Drepper's specification).

    The salt is used whole: the specification's crypt(3) cuts it to 16 bytes, MySQL's
    caching_sha2_password uses 20.
    """
    alternate = hashlib.sha256(password + salt + password).digest()
    a = hashlib.sha256(password + salt)
    length = len(password)
    a.update(alternate * (length // 32) + alternate[:length % 32])
    bits = length
    while bits:
        a.update(alternate if bits & 1 else password)
        bits >>= 1
    digest = a.digest()
    p_bytes = _stretch(hashlib.sha256(password * length).digest(), length)
    s_bytes = _stretch(hashlib.sha256(salt * (16 + digest[0])).digest(), len(salt))
    for i in range(rounds):
        c = hashlib.sha256(p_bytes if i & 1 else digest)
        if i % 3:
            c.update(s_bytes)
        if i % 7:
            c.update(p_bytes)
        c.update(digest if i & 1 else p_bytes)
        digest = c.digest()
    text = "".join(_crypt64((digest[x] << 16) | (digest[y] << 8) | digest[z], 4) for x, y, z in _SHA256_ORDER)
    return text + _crypt64((digest[31] << 8) | digest[30], 3)


def _stretch(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def _crypt64(value: int, characters: int) -> str:
    out = []
    for _ in range(characters):
        out.append(_CRYPT64[value & 0x3F])
        value >>= 6
    return "".join(out)
