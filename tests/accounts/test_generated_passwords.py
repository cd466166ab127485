"""Generated passwords: pass the policy, read unambiguously, and paste into a shell unquoted."""

from __future__ import annotations

import shlex

from hms import passwords


def test_generated_passwords_have_no_look_alikes_or_shell_specials_and_pass_the_policy():
    seen = [passwords.generate() for _ in range(500)]
    joined = "".join(seen)
    assert not set(joined) & set("0Oo1lI")
    for password in seen:
        assert shlex.quote(password) == password  # nothing a shell would expand, split or glob
        assert password[0].isalnum() and not passwords.problems(password)
    assert len(set(seen)) == len(seen)
    assert set(joined) & set(passwords.SYMBOLS)  # symbols are used, not only letters and digits
