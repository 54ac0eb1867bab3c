"""Signed reports: keygen, sign, verify, and every kind of tampering failing verification.

Needs ``cryptography`` (the ``sign`` extra, also in ``test``); skipped without it,
except the check that its absence is reported with the extra to install.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wattprint import MissingDependencyError
from wattprint.cli.report_commands import keygen, report, verify
from wattprint.report.render.jsonreport import canonical, render_json

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
INPUTS = [
    str(FIXTURES / name)
    for name in (
        "runs.jsonl", "emissions.csv", "codecarbon_v2_31_columns.csv",
        "codecarbon_v3_38_columns.csv",
    )
]  # fmt: skip


def _crypto_or_skip() -> None:
    pytest.importorskip("cryptography", reason="cryptography (the [sign] extra) is not installed")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    _crypto_or_skip()
    private = tmp_path / "signing.key"
    result = CliRunner().invoke(keygen, ["--key", str(private)])
    assert result.exit_code == 0, result.output
    assert "key id:" in result.output
    return private, tmp_path / "signing.key.pub"


@pytest.fixture
def signed(keys: tuple[Path, Path], tmp_path: Path) -> Path:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(report, [*INPUTS, "--sign", str(keys[0]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _verify(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(verify, [str(path), *extra])
    return result.exit_code, result.output


def _rewrite(path: Path, change: Any) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(render_json(data), encoding="utf-8")
    return path


def test_keygen_writes_a_private_key_only_its_owner_reads(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert os.stat(private).st_mode & 0o777 == 0o600
    again = CliRunner().invoke(keygen, ["--key", str(private)])
    assert again.exit_code == 2 and "no file exists yet" in again.output


def test_signed_report_verifies(signed: Path, keys: tuple[Path, Path]) -> None:
    data = json.loads(signed.read_text(encoding="utf-8"))
    assert data["signature"]["algorithm"] == "Ed25519"
    assert signed.read_text(encoding="utf-8") == canonical(data).decode("utf-8") + "\n"
    code, out = _verify(signed, "--key", str(keys[1]))
    assert code == 0, out
    assert "PASS  signature: Ed25519" in out and "checked against the key given" in out
    assert "PASS  totals emissions_kg" in out and "PASS  equivalent tree_years" in out
    assert "PASS  what-if" in out and "SKIP  run" in out  # recorded embodied: not recomputable
    assert out.rstrip().splitlines()[-1].startswith("verified: all")
    code, out = _verify(signed)
    assert code == 0 and "the key in the report only (pass --key)" in out


def test_a_changed_number_fails(signed: Path, keys: tuple[Path, Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["runs"][0]["emissions_kg"] *= 0.5

    code, out = _verify(_rewrite(signed, change), "--key", str(keys[1]))
    assert code == 1
    assert "FAIL  signature: does not match the report" in out
    assert "FAIL  run " in out and "emissions: energy x intensity" in out
    assert "FAIL  totals emissions_kg" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT verified:")


def test_a_changed_raw_figure_fails_even_unsigned(signed: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        del data["signature"]
        data["runs"][1]["inputs"]["intensity_g_per_kwh"] = 1.0

    code, out = _verify(_rewrite(signed, change), "--json")
    assert code == 1
    result = json.loads(out)
    failed = {c["name"] for c in result["checks"] if c["passed"] is False}
    assert "signature" in failed
    assert any(name.endswith(" emissions") for name in failed)


def test_a_changed_signature_fails(signed: Path, keys: tuple[Path, Path]) -> None:
    def change(data: dict[str, Any]) -> None:
        raw = bytearray(base64.b64decode(data["signature"]["value"]))
        raw[0] ^= 0x01
        data["signature"]["value"] = base64.b64encode(bytes(raw)).decode()

    code, out = _verify(_rewrite(signed, change), "--key", str(keys[1]))
    assert code == 1 and "FAIL  signature: does not match the report" in out


def test_a_changed_key_fails(signed: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    assert CliRunner().invoke(keygen, ["--key", str(other)]).exit_code == 0
    other_public = (tmp_path / "other.key.pub").read_bytes()
    from cryptography.hazmat.primitives import serialization

    raw = serialization.load_pem_public_key(other_public).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )

    def swap_key(data: dict[str, Any]) -> None:
        data["signature"]["public_key"] = base64.b64encode(raw).decode()

    code, out = _verify(_rewrite(signed, swap_key))
    assert code == 1 and "FAIL  signature: does not match the report" in out
    # Re-signed by someone else's key: valid in itself, but not the key the reader trusts.
    resigned = tmp_path / "resigned.json"
    args = [*INPUTS, "--sign", str(other), "-o", str(resigned)]
    assert CliRunner().invoke(report, args).exit_code == 0
    code, out = _verify(resigned, "--key", str(keys[1]))
    assert code == 1 and "not with the key given" in out


def test_an_unsigned_report_is_not_verified(tmp_path: Path) -> None:
    _crypto_or_skip()
    out = tmp_path / "plain.json"
    assert CliRunner().invoke(report, [INPUTS[0], "-o", str(out)]).exit_code == 0
    code, text = _verify(out)
    assert code == 1 and "FAIL  signature: the report is not signed" in text
    assert "PASS  totals energy_kwh" in text


def test_sign_needs_json(keys: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(report, [INPUTS[0], "--sign", str(keys[0]), "--format", "md"])
    assert result.exit_code == 2 and "--sign signs a JSON report" in result.output


def test_not_a_report_is_named(tmp_path: Path) -> None:
    _crypto_or_skip()
    path = tmp_path / "x.json"
    path.write_text('{"schema": "wattprint.run/1"}', encoding="utf-8")
    code, out = _verify(path)
    assert code == 1 and "x.json: schema 'wattprint.run/1', expected 'wattprint.report/1'" in out


def test_missing_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from wattprint.report import signing

    monkeypatch.setitem(sys.modules, "cryptography", None)
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "wattprint\[sign\]"'):
        signing.generate_keypair()
