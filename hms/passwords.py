"""Passwords for MySQL accounts: a generator and the policy given passwords must meet.

The policy (stated once, here, and shown to users): 12 to 128 printable ASCII
characters with no spaces at either end, containing a lower-case letter, an
upper-case letter, a digit and a symbol, not containing the account name, and not in
the shipped list of common passwords (common_passwords.txt, written by
scripts/make_common_passwords.py: well-known words with digits and symbols added,
which meet the rules above yet are among an attacker's first guesses).
Generated passwords are 20 characters from `secrets`, always meeting the policy.
"""

from __future__ import annotations

import functools
import secrets
import string
from importlib import resources

from .errors import HmsError

MIN_LENGTH = 12
MAX_LENGTH = 128
GENERATED_LENGTH = 20
# Symbols that survive shells, option files and URLs without surprises.
SYMBOLS = "!#%*+-.:=?@^_~"
POLICY = (f"{MIN_LENGTH}-{MAX_LENGTH} printable ASCII characters with a lower-case letter, "
          "an upper-case letter, a digit and a symbol, not containing the account name, "
          "and not a common password")


class WeakPassword(HmsError):
    """A given password does not meet the policy."""


def generate(length: int = GENERATED_LENGTH) -> str:
    """Return a new random password that meets the policy."""
    alphabet = string.ascii_letters + string.digits + SYMBOLS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if not problems(password):
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
