"""What `hms backup restore --home` prints last: how to start the new home, with the passphrase
variable when the home's server key file is protected by one (else the start would stop in one
line asking for it)."""

from __future__ import annotations

from commands.backup import _start_hint
from hms import encryption


def test_a_plain_home_is_started_as_it_is(tmp_path):
    assert _start_hint(tmp_path) == f"start it with: HMS_HOME={tmp_path} hms server start"


def test_a_home_whose_key_file_is_protected_is_started_with_the_passphrase_variable(tmp_path):
    key_file = encryption.server_key_file(tmp_path)
    key_file.parent.mkdir()
    key_file.write_bytes(encryption.SALTED + b"12345678" + b"\0" * 32)
    hint = _start_hint(tmp_path)
    assert hint == f"start it with: {encryption.PASSPHRASE_ENV}=... HMS_HOME={tmp_path} hms server start"
