"""Signed reports: Ed25519 over the canonical JSON, and their verification.

A signed report carries ``signature``: the algorithm (``Ed25519``), the
public key (raw 32 bytes, base64), its id (the first 16 hex digits of the
SHA-256 of those bytes) and the signature (base64) of the canonical form of
the report *without* its ``signature`` member. Verifying checks that
signature, against the key given (or, without one, the key in the report,
which proves integrity but not who signed), and then recomputes every
derived figure from the raw figures in the report
(:mod:`wattprint.report.recompute`).

Keys are PEM files: PKCS#8 for the private key (written readable by its
owner only), SubjectPublicKeyInfo for the public one. ``cryptography`` comes
with the ``sign`` extra.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError, DataError, MissingDependencyError
from wattprint.report.recompute import Check, recompute_checks
from wattprint.report.render.jsonreport import canonical

ALGORITHM = "Ed25519"
"""The only signature algorithm wattprint writes and accepts."""


def ed25519_modules() -> Any:
    """Import ``cryptography``'s Ed25519 and serialisation, or name the extra.

    Raises:
        MissingDependencyError: ``cryptography`` is not installed.
    """
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as err:
        raise MissingDependencyError("cryptography", "sign") from err
    return ed25519, serialization


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a new Ed25519 key pair as (private PEM, public PEM)."""
    ed25519, serialization = ed25519_modules()
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, public_pem(key)


def public_pem(private_key: Any) -> bytes:
    """Return the public half of an Ed25519 private key as a PEM file's bytes."""
    _, serialization = ed25519_modules()
    data: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


def write_keypair(private_path: Path, public_path: Path, *, overwrite: bool = False) -> str:
    """Write a new key pair (the private key with mode 0600); return the key id.

    Raises:
        ConfigError: a file exists and ``overwrite`` is False.
    """
    for path in (private_path, public_path):
        if path.exists() and not overwrite:
            raise ConfigError("key file", str(path), "a path where no file exists yet (or --force)")
    private_pem, public_bytes = generate_keypair()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(private_path, flags, 0o600)
    try:
        os.write(fd, private_pem)
    finally:
        os.close(fd)
    public_path.write_bytes(public_bytes)
    return key_id(_raw_public(load_public_key(public_path)))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the key ({err.strerror or err})") from err


def load_private_key(path: Path) -> Any:
    """Return the Ed25519 private key in the PEM file ``path``.

    Raises:
        DataError: the file cannot be read or holds no Ed25519 private key.
    """
    ed25519, serialization = ed25519_modules()
    try:
        key = serialization.load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError) as err:
        raise DataError(f"{path}: not an unencrypted PEM private key ({err})") from err
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DataError(f"{path}: a {type(key).__name__}, expected an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Any:
    """Return the Ed25519 public key in the PEM file ``path`` (a private key also does).

    Raises:
        DataError: the file cannot be read or holds no Ed25519 key.
    """
    ed25519, serialization = ed25519_modules()
    data = _read(path)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        return load_private_key(path).public_key()
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise DataError(f"{path}: a {type(key).__name__}, expected an Ed25519 public key")
    return key


def _raw_public(public_key: Any) -> bytes:
    _, serialization = ed25519_modules()
    raw: bytes = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def key_id(raw_public: bytes) -> str:
    """Return a key's id: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def unsigned(data: dict[str, Any]) -> dict[str, Any]:
    """Return the report without its signature: what a signature covers."""
    return {k: v for k, v in data.items() if k != "signature"}


def sign_report(data: dict[str, Any], private_key: Any) -> dict[str, Any]:
    """Return the report with a ``signature`` over its canonical form."""
    body = unsigned(data)
    raw = _raw_public(private_key.public_key())
    signature = private_key.sign(canonical(body))
    body["signature"] = {
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(raw).decode("ascii"),
        "key_id": key_id(raw),
        "value": base64.b64encode(signature).decode("ascii"),
    }
    return body


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``verify`` found.

    Attributes:
        checks: the signature check first, then every recomputed figure.
        ok: True when every check passed (checks that could not run do not count).
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(c.passed is not False for c in self.checks)


def _signature_check(data: dict[str, Any], trusted: Any | None) -> Check:
    ed25519, _ = ed25519_modules()
    sig = data.get("signature")
    if not isinstance(sig, dict):
        return Check("signature", False, "the report is not signed (no 'signature' member)")
    if sig.get("algorithm") != ALGORITHM:
        return Check("signature", False, f"algorithm {sig.get('algorithm')!r}, expected 'Ed25519'")
    try:
        embedded = base64.b64decode(str(sig.get("public_key")), validate=True)
        value = base64.b64decode(str(sig.get("value")), validate=True)
        embedded_key = ed25519.Ed25519PublicKey.from_public_bytes(embedded)
    except (ValueError, binascii.Error) as err:
        return Check("signature", False, f"damaged signature or key ({err})")
    if trusted is not None:
        trusted_raw = _raw_public(trusted)
        if trusted_raw != embedded:
            return Check(
                "signature",
                False,
                f"signed with key {key_id(embedded)}, not with the key given "
                f"({key_id(trusted_raw)})",
            )
    from cryptography.exceptions import InvalidSignature

    try:
        embedded_key.verify(value, canonical(unsigned(data)))
    except InvalidSignature:
        return Check("signature", False, "does not match the report: it was changed after signing")
    who = "the key given" if trusted is not None else "the key in the report only (pass --key)"
    return Check("signature", True, f"Ed25519, key {key_id(embedded)}, checked against {who}")


def verify_report(data: dict[str, Any], *, public_key: Any | None = None) -> Verification:
    """Check a report's signature, then recompute its derived figures.

    Args:
        data: the report, as :func:`wattprint.report.render.jsonreport.read_report` reads it.
        public_key: the signer's public key; None trusts the key in the report.
    """
    return Verification((_signature_check(data, public_key), *recompute_checks(data)))
