"""Which cloud this machine runs in, and in which region.

A cloud provider's grid is known by its region (``us-east-1``,
``europe-west1``, ``westeurope``), not by the country the user lives in. A
virtual machine can learn both facts itself, without asking the user:

1. **The provider, from DMI** (``/sys/class/dmi/id``), with the rules of
   cloud-init's ``ds-identify``: Azure's chassis asset tag
   ``7783-7084-3265-9085-8269-3286-77``; GCP's product name ``Google Compute
   Engine`` (or BIOS vendor ``Google``, or a ``GoogleCloud-`` serial); AWS's
   system or BIOS vendor ``Amazon EC2`` (Nitro), ``amazon`` in the BIOS
   version (Xen, ``4.2.amazon``), or UUID and serial starting ``ec2``.
2. **The region, from the provider's metadata service**, asked only when DMI
   named that provider, and only that provider's service:

   - AWS, IMDSv2: ``PUT /latest/api/token`` with the header
     ``X-aws-ec2-metadata-token-ttl-seconds``, then
     ``GET /latest/meta-data/placement/region`` with the token in
     ``X-aws-ec2-metadata-token`` (a request without it gets 401).
   - GCP: ``GET /computeMetadata/v1/instance/zone`` with
     ``Metadata-Flavor: Google``; the answer is
     ``projects/<number>/zones/<zone>`` and the region is the zone less its
     last ``-<letter>`` (``us-central1-a`` is in ``us-central1``).
   - Azure: ``GET /metadata/instance/compute/location?api-version=...&format=text``
     with ``Metadata: true``; the answer is the location (``westeurope``).

   All requests share one time budget (1 s by default) and bypass the
   user's proxy; when they fail, the provider is still known.

The answer is cached on the :class:`CloudDetector` and, when it names a
region, in the user's cache directory keyed by the boot id and the DMI
evidence: a VM changes region only through a reboot, which asks again.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from wattprint import _log, net
from wattprint.errors import ConfigError, ProviderError

log = _log.get(__name__)

DEFAULT_DMI_DIR = Path("/sys/class/dmi/id")
DEFAULT_BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {
        "aws": "http://169.254.169.254",
        # The same service answers at http://metadata.google.internal; the
        # link-local address needs no DNS lookup, which no timeout covers.
        "gcp": "http://169.254.169.254",
        "azure": "http://169.254.169.254",
    }
)
"""Base URL of each provider's instance metadata service."""

DEFAULT_BUDGET_S = 1.0
"""Time allowed for all metadata requests of one detection together. Units: s."""

AZURE_CHASSIS_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
AZURE_API_VERSION = "2021-02-01"
AWS_TOKEN_TTL_S = 60
"""Lifetime asked for the IMDSv2 session token (1 to 21600 allowed). Units: s."""

_CACHE_FORMAT = 1
_REGION = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_GCP_ZONE = re.compile(r"projects/\d+/zones/([a-z0-9]+(?:-[a-z0-9]+)+)")


@dataclass(frozen=True, slots=True)
class CloudGuess:
    """The cloud provider this machine runs in, and its region when known.

    Attributes:
        provider: ``aws``, ``gcp`` or ``azure``.
        region: the provider's region name (``us-east-1``, ``us-central1``,
            ``westeurope``), or None when the metadata service did not say.
        how: how the provider and the region were found, for people.
    """

    provider: str
    region: str | None
    how: str


def dmi_provider(dmi_dir: Path = DEFAULT_DMI_DIR) -> tuple[str, str] | None:
    """Tell the cloud provider from the DMI strings, without any network call.

    Args:
        dmi_dir: the directory holding the DMI attributes, one file each
            (``sys_vendor``, ``product_name``, ``chassis_asset_tag``...).

    Returns:
        The provider (``aws``, ``gcp``, ``azure``) and the DMI evidence, e.g.
        ``("aws", "sys_vendor='Amazon EC2'")``, or None when no provider's
        strings are there (or the directory is missing or unreadable).
    """

    def read(name: str) -> str:
        try:
            return (dmi_dir / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:  # missing, or readable by root only (product_uuid, product_serial)
            return ""

    tag = read("chassis_asset_tag")
    if tag == AZURE_CHASSIS_ASSET_TAG:
        return "azure", f"chassis_asset_tag={tag!r}"
    for name, google in (("product_name", "Google Compute Engine"), ("bios_vendor", "Google")):
        value = read(name)
        if value == google:
            return "gcp", f"{name}={value!r}"
    serial = read("product_serial")
    if serial.startswith("GoogleCloud-"):
        return "gcp", "product_serial starts with 'GoogleCloud-'"
    for name in ("sys_vendor", "bios_vendor"):
        value = read(name)
        if value == "Amazon EC2":
            return "aws", f"{name}={value!r}"
    for name in ("bios_version", "product_version"):
        value = read(name)
        if "amazon" in value.lower():
            return "aws", f"{name}={value!r}"
    uuid = read("product_uuid").lower()
    if uuid.startswith("ec2") and uuid == serial.lower():
        return "aws", "product_uuid and product_serial start with 'ec2'"
    return None


class _Budget:
    """What is left of the time allowed for all requests together, and what sends them."""

    __slots__ = ("_clock", "_deadline", "_total_s", "transport")

    def __init__(
        self, total_s: float, clock: Callable[[], float], transport: net.Transport | None
    ) -> None:
        self.transport = transport
        self._clock = clock
        self._total_s = total_s
        self._deadline = clock() + total_s

    def timeout_s(self) -> float:
        """Return the time left for the next request. Units: s.

        Raises:
            ProviderError: nothing is left.
        """
        left = self._deadline - self._clock()
        if left <= 0:
            raise ProviderError(f"the {self._total_s:g} s budget was spent")
        return left


def _region_text(text: str, url: str) -> str:
    region = text.strip()
    if not _REGION.fullmatch(region):
        raise ProviderError(f"GET {url}: expected a region name, got {region[:80]!r}")
    return region


def _aws_region(base_url: str, budget: _Budget) -> tuple[str, str]:
    token_url = f"{base_url}/latest/api/token"
    token = (
        net.request(
            token_url,
            method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": str(AWS_TOKEN_TTL_S)},
            body=b"",
            timeout_s=budget.timeout_s(),
            use_proxy=False,
            transport=budget.transport,
        )
        .text()
        .strip()
    )
    if not token:
        raise ProviderError(f"PUT {token_url}: empty IMDSv2 token")
    url = f"{base_url}/latest/meta-data/placement/region"
    answer = net.request(
        url,
        headers={"X-aws-ec2-metadata-token": token},
        timeout_s=budget.timeout_s(),
        use_proxy=False,
        transport=budget.transport,
    )
    return _region_text(answer.text(), url), f"IMDSv2 at {url}"


def _gcp_region(base_url: str, budget: _Budget) -> tuple[str, str]:
    url = f"{base_url}/computeMetadata/v1/instance/zone"
    answer = net.request(
        url,
        headers={"Metadata-Flavor": "Google"},
        timeout_s=budget.timeout_s(),
        use_proxy=False,
        transport=budget.transport,
    )
    if answer.headers.get("metadata-flavor") != "Google":
        raise ProviderError(f"GET {url}: the answer lacks the header 'Metadata-Flavor: Google'")
    text = answer.text().strip()
    match = _GCP_ZONE.fullmatch(text)
    if match is None:
        raise ProviderError(
            f"GET {url}: expected 'projects/<number>/zones/<zone>', got {text[:80]!r}"
        )
    zone = match.group(1)
    return zone.rsplit("-", 1)[0], f"zone {zone} from {url}"


def _azure_region(base_url: str, budget: _Budget) -> tuple[str, str]:
    url = (
        f"{base_url}/metadata/instance/compute/location?api-version={AZURE_API_VERSION}&format=text"
    )
    answer = net.request(
        url,
        headers={"Metadata": "true"},
        timeout_s=budget.timeout_s(),
        use_proxy=False,
        transport=budget.transport,
    )
    return _region_text(answer.text(), url), f"IMDS at {url}"


_FETCHERS: Mapping[str, Callable[[str, _Budget], tuple[str, str]]] = MappingProxyType(
    {"aws": _aws_region, "gcp": _gcp_region, "azure": _azure_region}
)


def default_cache_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Return where the detected region is cached, or None if no home is known.

    The file is ``$XDG_CACHE_HOME/wattprint/cloud.json``, or
    ``~/.cache/wattprint/cloud.json`` when ``XDG_CACHE_HOME`` is unset or not
    an absolute path (as the XDG base directory specification says).

    Args:
        env: the environment; ``os.environ`` when None.
    """
    env = os.environ if env is None else env
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "wattprint" / "cloud.json"
    home = env.get("HOME", "")
    if not home:
        try:
            home = str(Path.home())
        except (RuntimeError, KeyError):
            return None
    return Path(home) / ".cache" / "wattprint" / "cloud.json"


class CloudDetector:
    """Find the cloud provider (from DMI) and its region (from its metadata service).

    The network is touched only when DMI names AWS, GCP or Azure. A detector
    asks at most once; an answer naming a region is also kept on disk.
    """

    __slots__ = (
        "_answer",
        "_boot_id",
        "_budget_s",
        "_cache_path",
        "_clock",
        "_dmi_dir",
        "_transport",
        "_urls",
    )

    def __init__(
        self,
        *,
        dmi_dir: Path = DEFAULT_DMI_DIR,
        endpoints: Mapping[str, str] | None = None,
        budget_s: float = DEFAULT_BUDGET_S,
        cache_path: Path | None = None,
        boot_id_path: Path = DEFAULT_BOOT_ID_PATH,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        transport: net.Transport | None = None,
    ) -> None:
        """Set up a detector; nothing is read until :meth:`detect`.

        Args:
            dmi_dir: the directory of DMI attributes.
            endpoints: base URLs of the metadata services by provider
                (``aws``, ``gcp``, ``azure``); those not given keep
                :data:`DEFAULT_ENDPOINTS`.
            budget_s: time allowed for all metadata requests together. Units: s.
            cache_path: the on-disk cache file; None for
                :func:`default_cache_path` of ``env``.
            boot_id_path: the file holding the kernel's boot id.
            env: the environment, for the default cache path; ``os.environ``
                when None.
            clock: monotonic clock for the budget. Units: s.
            transport: what sends the metadata requests; None for the network.

        Raises:
            ConfigError: ``budget_s`` is not a positive number, or ``endpoints``
                names an unknown provider.
        """
        if not (isinstance(budget_s, (int, float)) and math.isfinite(budget_s) and budget_s > 0):
            raise ConfigError("budget_s", budget_s, "a positive number of seconds, e.g. 1.0")
        unknown = sorted(set(endpoints or {}) - set(DEFAULT_ENDPOINTS))
        if unknown:
            raise ConfigError("endpoints", unknown[0], "a provider among 'aws', 'gcp', 'azure'")
        merged = {**DEFAULT_ENDPOINTS, **(endpoints or {})}
        self._urls = {name: url.rstrip("/") for name, url in merged.items()}
        self._dmi_dir = dmi_dir
        self._budget_s = float(budget_s)
        self._cache_path = cache_path if cache_path is not None else default_cache_path(env)
        self._boot_id = boot_id_path
        self._clock = clock
        self._transport = transport
        self._answer: tuple[CloudGuess | None] | None = None  # (answer,) once detected

    def detect(self) -> CloudGuess | None:
        """Return the provider and region, or None when DMI names no known cloud.

        Never raises: when the metadata service fails, the guess still names
        the provider, with ``region`` None and the reason in ``how``.
        """
        if self._answer is None:
            self._answer = (self._detect(),)
        return self._answer[0]

    def _detect(self) -> CloudGuess | None:
        from http.client import HTTPException

        found = dmi_provider(self._dmi_dir)
        if found is None:
            return None
        provider, evidence = found
        key = self._cache_key(provider, evidence)
        cached = self._read_cache(key, provider)
        if cached is not None:
            return cached
        budget = _Budget(self._budget_s, self._clock, self._transport)
        try:
            region, source = _FETCHERS[provider](self._urls[provider], budget)
        except (ProviderError, HTTPException) as err:
            reason = str(err) or type(err).__name__
            log.debug("cloud metadata for %s failed: %s", provider, reason)
            return CloudGuess(
                provider,
                None,
                f"DMI says {provider}; metadata service did not answer ({reason}); "
                f"DMI evidence: {evidence}",
            )
        guess = CloudGuess(
            provider, region, f"DMI says {provider} ({evidence}); region {region} from {source}"
        )
        self._write_cache(key, guess)
        return guess

    def _cache_key(self, provider: str, evidence: str) -> str | None:
        try:
            boot_id = self._boot_id.read_text(encoding="utf-8").strip()
        except OSError:
            return None  # without a boot id a cached answer could be stale: skip the cache
        return f"{boot_id}|{provider}|{evidence}" if boot_id else None

    def _read_cache(self, key: str | None, provider: str) -> CloudGuess | None:
        if key is None or self._cache_path is None:
            return None
        try:
            data = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (
            isinstance(data, dict)
            and data.get("format") == _CACHE_FORMAT
            and data.get("key") == key
            and data.get("provider") == provider
            and isinstance(data.get("region"), str)
            and isinstance(data.get("how"), str)
        ):
            return None
        how = f"{data['how']}; cached in {self._cache_path} during this boot"
        return CloudGuess(provider, data["region"], how)

    def _write_cache(self, key: str | None, guess: CloudGuess) -> None:
        path = self._cache_path
        if key is None or path is None:
            return
        record = {
            "format": _CACHE_FORMAT,
            "key": key,
            "provider": guess.provider,
            "region": guess.region,
            "how": guess.how,
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(record), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as err:  # a cache that cannot be written is skipped
            log.debug("cannot write the cloud cache %s: %s", path, err)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
