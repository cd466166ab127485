"""TLS for the embedded server: a private certificate authority, the server's certificate,
and client certificates, all under $HMS_HOME/tls and made with the `cryptography` package.

The CA is made once (10 years) and its key never leaves the home (0600, the hms user's).
The server certificate (2 years) names localhost, 127.0.0.1, ::1, the host's name and the
address the server is bound to; it is re-issued when that list grows or it nears expiry.
Its key is 0600 and owned by the account the server runs as. Clients verify the server
with the CA certificate (`hms server ca`); `hms users cert NAME` issues a client
certificate for an account that must present one (REQUIRE X509). Servers that talk to
each other (replicas, cluster nodes) share their first server's CA (adopt_ca) and verify
one another with it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import ConfigError

TLS_DIR = "tls"
CA_DAYS = 3650
LEAF_DAYS = 730
RENEW_DAYS = 30
# Hosts that are this machine: accounts for them need no TLS (the socket or loopback).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# A server certificate also authenticates its server as a client: a replica to its primary,
# a Galera node or SST donor to its peer (each side verifies the other's certificate).
SERVER_USAGES = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
# No space in the common name: the SST script hands it to the donor as an auth string.
SERVER_SUBJECT = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hms"),
                            x509.NameAttribute(NameOID.COMMON_NAME, "hms-server")])


@dataclass(frozen=True)
class TlsFiles:
    """Where one home keeps its CA and server certificate."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def clients(self) -> Path:
        return self.directory / "clients"


def files(home: Path) -> TlsFiles:
    return TlsFiles(Path(home) / TLS_DIR)


def ensure(home: Path, bind: str | None = None, server_uid: int | None = None) -> TlsFiles:
    """Make the CA once and a server certificate covering `bind`; return the paths."""
    tls = ensure_ca(home)
    names = server_names(bind)
    if _needs_server_cert(tls, names):
        _make_server_cert(tls, names)
    if server_uid is not None and os.geteuid() == 0:
        os.chown(tls.server_key, server_uid, -1)
    return tls


def ensure_ca(home: Path) -> TlsFiles:
    """Make `home`'s CA once (home/tls/ca.pem, ca-key.pem 0600); return the paths."""
    tls = files(home)
    tls.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not tls.ca_cert.is_file() or not tls.ca_key.is_file():
        _make_ca(tls)
    return tls


def adopt_ca(source_home: Path, home: Path) -> TlsFiles:
    """Make `home` use `source_home`'s CA (copied, key 0600); return `home`'s TLS files.

    Servers that talk to each other (a primary and its replicas, the nodes of a cluster)
    share one CA, so each verifies the others' certificates with its own ca.pem whichever
    of them is the primary or the donor. A different CA already in `home` is replaced and
    its server certificate dropped, so the next start issues one from the shared CA.
    """
    source, target = files(source_home), files(home)
    if not source.ca_cert.is_file() or not source.ca_key.is_file():
        raise ConfigError(f"there is no certificate authority in {source.directory} to share",
                          f"Start the server of {source_home} once (it makes its CA)")
    target.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    if target.ca_cert.is_file() and target.ca_cert.read_bytes() == source.ca_cert.read_bytes():
        return target
    _write_private(target.ca_key, source.ca_key.read_bytes())
    target.ca_cert.write_bytes(source.ca_cert.read_bytes())
    target.server_cert.unlink(missing_ok=True)
    return target


def server_names(bind: str | None) -> list[str]:
    """The names and addresses the server certificate must cover."""
    names = list(LOCAL_HOSTS) + [socket.gethostname()]
    if bind and bind not in ("0.0.0.0", "::", "*") and bind not in names:
        names.append(bind)
    if bind in ("0.0.0.0", "::", "*"):
        names += [address for address in _own_addresses() if address not in names]
    return names


def ca_pem(home: Path) -> str:
    """The CA certificate clients verify the server with."""
    tls = files(home)
    if not tls.ca_cert.is_file():
        raise ConfigError(f"there is no certificate authority in {tls.directory}",
                          "Run `hms server start`, which makes it on first use")
    return tls.ca_cert.read_text()


def issue_client(home: Path, name: str, out: Path | None = None) -> tuple[Path, Path]:
    """Issue a client certificate (CN=name) signed by the home's CA; return (cert, key) paths, key 0600."""
    tls = files(home)
    if not tls.ca_key.is_file():
        raise ConfigError(f"there is no certificate authority in {tls.directory}",
                          "Run `hms server start` (it makes one), with HMS_HOME set to the server's home")
    ca_key = serialization.load_pem_private_key(tls.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hms"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (_leaf(subject, key, ca_cert, LEAF_DAYS)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory = Path(out) if out else tls.clients
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}-key.pem"
    _write_private(key_path, _key_bytes(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def is_local_host(host: str) -> bool:
    return host in LOCAL_HOSTS


# -- internals ---------------------------------------------------------------------

def _make_ca(tls: TlsFiles) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hms"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"hms CA {socket.gethostname()}")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(tls.ca_key, _key_bytes(key))
    tls.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # A new CA invalidates the old server certificate.
    tls.server_cert.unlink(missing_ok=True)


def _needs_server_cert(tls: TlsFiles, names: list[str]) -> bool:
    if not tls.server_cert.is_file() or not tls.server_key.is_file():
        return True
    cert = x509.load_pem_x509_certificate(tls.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    if cert.issuer != ca.subject:
        return True
    if cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) < dt.timedelta(days=RENEW_DAYS):
        return True
    covered = {str(v) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
               .get_values_for_type(x509.DNSName)}
    covered |= {str(v) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                .get_values_for_type(x509.IPAddress)}
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    return not set(names) <= covered or not set(SERVER_USAGES) <= set(usages) or cert.subject != SERVER_SUBJECT


def _make_server_cert(tls: TlsFiles, names: list[str]) -> None:
    ca_key = serialization.load_pem_private_key(tls.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    cert = (_leaf(SERVER_SUBJECT, key, ca_cert, LEAF_DAYS)
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.ExtendedKeyUsage(SERVER_USAGES), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(tls.server_key, _key_bytes(key))
    tls.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _leaf(subject: x509.Name, key, ca_cert: x509.Certificate, days: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                           critical=False))


def _key_bytes(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new 0600 file (never readable by others, not even for a moment)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _own_addresses() -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)})
    except OSError:
        return []


def require_client_certificate(manager, name: str, host: str) -> None:
    """Make an hms-managed account present a client certificate (REQUIRE X509), audited.

    Through the account manager's service session and the definer procedure
    account_require_x509, which guards the account like every other change (admin and
    dba accounts need the administrative login's ticket, hms/elevation.py)."""
    with manager._audited("require-x509", name, host):
        manager._elevate(name, host, None)
        manager._call("account_require_x509", (name, host))
