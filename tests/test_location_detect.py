"""Tests for finding the place without asking: cloud metadata, time zone, geo-IP.

Metadata services and the geo-IP service are played by a real HTTP server on
127.0.0.1 that enforces each service's documented headers and replays the
answers in tests/fixtures/cloud_metadata; nothing in wattprint is patched.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from wattprint import net
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.cloud_detect import CloudDetector, default_cache_path, dmi_provider
from wattprint.grid.geoip import lookup_geoip
from wattprint.grid.timezone import TzGuess, guess_from_timezone
from wattprint.net import MockTransport, Request, Response

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "cloud_metadata"
ZONEINFO = FIXTURES / "zoneinfo"
TOKEN = "AQAEAFakeImdsV2SessionTokenForTests=="

# DMI strings as each platform sets them (see tests/fixtures/README.md).
DMI: dict[str, dict[str, str]] = json.loads((RECORDED / "dmi.json").read_text())

Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[str, str, Mapping[str, str]], Answer]


# --------------------------------------------------------------------------- a real local server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeService:
    """A threaded HTTP server whose answers come from ``route``; records every request."""

    route: Route
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __enter__(self) -> FakeService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.seen.append(Seen(self.command, self.path, headers))
                if int(headers.get("content-length", "0")):
                    self.rfile.read(int(headers["content-length"]))
                status, extra, body = service.route(self.command, self.path, headers)
                if status < 0:  # hang until the test ends, far beyond any budget
                    service.release.wait(5.0)
                    return
                if status == 0:  # not HTTP at all
                    self.wfile.write(body)
                    return
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **extra}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def aws_imds(method: str, path: str, headers: Mapping[str, str]) -> Answer:
    """IMDSv2: a token from PUT /latest/api/token; without it, 401."""
    if path == "/latest/api/token":
        if method != "PUT":
            return 405, {}, b""
        ttl = headers.get("x-aws-ec2-metadata-token-ttl-seconds", "")
        if not (ttl.isdigit() and 1 <= int(ttl) <= 21600):
            return 400, {}, b""
        return 200, {"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": ttl}, TOKEN.encode()
    if headers.get("x-aws-ec2-metadata-token") != TOKEN:
        return 401, {}, b""
    if path == "/latest/meta-data/placement/region":
        return 200, {"Content-Type": "text/plain"}, recorded("aws_placement_region.txt")
    return 404, {}, b""


def gcp_metadata(method: str, path: str, headers: Mapping[str, str]) -> Answer:
    """GCP: Metadata-Flavor: Google both ways; without it, 403."""
    if headers.get("metadata-flavor") != "Google":
        return 403, {}, b"Missing Metadata-Flavor:Google header."
    if path == "/computeMetadata/v1/instance/zone":
        return 200, {"Metadata-Flavor": "Google"}, recorded("gcp_instance_zone.txt")
    return 404, {"Metadata-Flavor": "Google"}, b""


def azure_imds(method: str, path: str, headers: Mapping[str, str]) -> Answer:
    """Azure IMDS: Metadata: true; without it, 400."""
    if headers.get("metadata") != "true":
        return 400, {}, b'{"error": "Bad request. Required metadata header not specified"}'
    if path == "/metadata/instance/compute/location?api-version=2021-02-01&format=text":
        return 200, {"Content-Type": "text/plain"}, recorded("azure_compute_location.txt")
    return 404, {}, b""


def fixed(status: int, body: bytes) -> Route:
    return lambda method, path, headers: (status, {}, body)


HANG = fixed(-1, b"")


@pytest.fixture
def dead_url() -> str:
    """A local URL where nothing listens (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_dmi(tmp_path: Path, kind: str) -> Path:
    directory = tmp_path / f"dmi_{kind}"
    directory.mkdir(exist_ok=True)
    for name, value in DMI[kind].items():
        (directory / name).write_text(value + "\n")
    return directory


def detector(tmp_path: Path, kind: str, url: str, boot: str = "boot-1") -> CloudDetector:
    boot_id = tmp_path / f"boot_id_{boot}"
    boot_id.write_text(f"{boot}\n")
    return CloudDetector(
        dmi_dir=make_dmi(tmp_path, kind),
        endpoints={"aws": url, "gcp": url, "azure": url},
        cache_path=tmp_path / "cache" / "cloud.json",
        boot_id_path=boot_id,
    )


# --------------------------------------------------------------------------- DMI


@pytest.mark.parametrize(
    ("kind", "provider", "evidence"),
    [
        ("aws_nitro", "aws", "sys_vendor='Amazon EC2'"),
        ("aws_xen", "aws", "bios_version='4.2.amazon'"),
        ("gcp", "gcp", "product_name='Google Compute Engine'"),
        ("azure", "azure", "chassis_asset_tag='7783-7084-3265-9085-8269-3286-77'"),
    ],
)
def test_dmi_names_the_provider(tmp_path: Path, kind: str, provider: str, evidence: str) -> None:
    assert dmi_provider(make_dmi(tmp_path, kind)) == (provider, evidence)


@pytest.mark.parametrize("kind", ["laptop", "chromebook", "hyperv_on_premises"])
def test_dmi_of_other_machines_names_no_provider(tmp_path: Path, kind: str) -> None:
    assert dmi_provider(make_dmi(tmp_path, kind)) is None


def test_missing_dmi_directory_names_no_provider(tmp_path: Path) -> None:
    assert dmi_provider(tmp_path / "absent") is None


# --------------------------------------------------------------------------- metadata services


def test_aws_token_then_region(tmp_path: Path) -> None:
    with FakeService(aws_imds) as service:
        guess = detector(tmp_path, "aws_nitro", service.url).detect()
    assert guess is not None
    assert (guess.provider, guess.region) == ("aws", "eu-west-3")
    assert "sys_vendor='Amazon EC2'" in guess.how and "IMDSv2" in guess.how
    put, get = service.seen
    assert (put.method, put.path) == ("PUT", "/latest/api/token")
    assert (get.method, get.headers["x-aws-ec2-metadata-token"]) == ("GET", TOKEN)


@pytest.mark.parametrize(
    ("kind", "route", "path", "region", "refused", "header"),
    [
        ("aws_xen", aws_imds, "/latest/meta-data/placement/region", "eu-west-3", 401,
         ("x-aws-ec2-metadata-token-ttl-seconds", "60")),
        ("gcp", gcp_metadata, "/computeMetadata/v1/instance/zone", "europe-west1", 403,
         ("metadata-flavor", "Google")),
        ("azure", azure_imds, "/metadata/instance/compute/location", "westeurope", 400,
         ("metadata", "true")),
    ],
)  # fmt: skip
def test_each_service_with_and_without_its_header(
    tmp_path: Path, kind: str, route: Route, path: str, region: str, refused: int,
    header: tuple[str, str],
) -> None:  # fmt: skip
    with FakeService(route) as service:
        guess = detector(tmp_path, kind, service.url).detect()
        with pytest.raises(ProviderError, match=f"HTTP {refused}"):  # as strict as the real one
            net.request(f"{service.url}{path}", use_proxy=False)
    assert guess is not None and guess.region == region
    assert service.seen[0].headers[header[0]] == header[1]


def test_gcp_answer_without_the_flavor_header_is_refused(tmp_path: Path) -> None:
    with FakeService(fixed(200, recorded("gcp_instance_zone.txt"))) as service:
        guess = detector(tmp_path, "gcp", service.url).detect()
    assert guess is not None and guess.region is None
    assert "Metadata-Flavor" in guess.how


@pytest.mark.parametrize("kind", ["laptop", "chromebook", "hyperv_on_premises"])
def test_no_request_leaves_a_machine_that_is_not_a_cloud_vm(tmp_path: Path, kind: str) -> None:
    with FakeService(aws_imds) as service:
        assert detector(tmp_path, kind, service.url).detect() is None
    assert service.seen == []


def test_a_hanging_service_costs_at_most_the_budget(tmp_path: Path) -> None:
    with FakeService(HANG) as service:
        started = time.monotonic()
        guess = detector(tmp_path, "aws_nitro", service.url).detect()
        elapsed_s = time.monotonic() - started
    assert elapsed_s < 1.2
    assert guess is not None
    assert (guess.provider, guess.region) == ("aws", None)
    assert guess.how.startswith("DMI says aws; metadata service did not answer (")
    assert "timed out" in guess.how
    assert not (tmp_path / "cache" / "cloud.json").exists()  # failures are not kept on disk


def test_a_refused_connection_still_names_the_provider(tmp_path: Path, dead_url: str) -> None:
    guess = detector(tmp_path, "azure", dead_url).detect()
    assert guess is not None
    assert (guess.provider, guess.region) == ("azure", None)
    assert "did not answer" in guess.how and "7783-7084" in guess.how


def test_the_instance_asks_once(tmp_path: Path) -> None:
    with FakeService(azure_imds) as service:
        found = detector(tmp_path, "azure", service.url)
        assert found.detect() == found.detect()
    assert len(service.seen) == 1


# --------------------------------------------------------------------------- in memory


def in_memory(route: Route, seen: list[Request]) -> MockTransport:
    """Answer requests with ``route``, as the FakeService does, without a server."""

    def handle(sent: Request) -> Response:
        seen.append(sent)
        url = urlsplit(sent.url)
        path = f"{url.path}?{url.query}" if url.query else url.path
        headers = {k.lower(): v for k, v in sent.headers.items()}
        status, extra, body = route(sent.method, path, headers)
        if status < 0:
            raise TimeoutError("timed out")
        return Response(status, body, {k.lower(): v for k, v in extra.items()})

    return MockTransport(handle)


@pytest.mark.parametrize(
    ("kind", "route", "region", "methods"),
    [
        ("aws_nitro", aws_imds, "eu-west-3", ["PUT", "GET"]),
        ("gcp", gcp_metadata, "europe-west1", ["GET"]),
        ("azure", azure_imds, "westeurope", ["GET"]),
    ],
)
def test_each_service_in_memory(
    tmp_path: Path, kind: str, route: Route, region: str, methods: list[str]
) -> None:
    seen: list[Request] = []
    boot_id = tmp_path / "boot_id"
    boot_id.write_text("boot-1\n")
    guess = CloudDetector(
        dmi_dir=make_dmi(tmp_path, kind),
        cache_path=tmp_path / "cache" / "cloud.json",
        boot_id_path=boot_id,
        transport=in_memory(route, seen),
    ).detect()
    assert guess is not None and guess.region == region
    assert [r.method for r in seen] == methods
    assert all(r.url.startswith("http://169.254.169.254/") for r in seen)  # the real endpoints
    assert not any(r.use_proxy for r in seen)  # link-local: never through a proxy
    assert all(0 < r.timeout_s <= 1.0 for r in seen)  # within the 1 s budget


def test_a_metadata_timeout_in_memory_still_names_the_provider(tmp_path: Path) -> None:
    seen: list[Request] = []
    guess = CloudDetector(
        dmi_dir=make_dmi(tmp_path, "gcp"),
        cache_path=tmp_path / "cache" / "cloud.json",
        boot_id_path=tmp_path / "no_boot_id",
        transport=in_memory(HANG, seen),
    ).detect()
    assert guess is not None and (guess.provider, guess.region) == ("gcp", None)
    assert "did not answer" in guess.how and "timed out" in guess.how
    assert len(seen) == 1


# --------------------------------------------------------------------------- on-disk cache


def test_cache_answers_during_the_same_boot_only(tmp_path: Path, dead_url: str) -> None:
    with FakeService(aws_imds) as service:
        first = detector(tmp_path, "aws_nitro", service.url).detect()
    assert first is not None and first.region == "eu-west-3"
    record = json.loads((tmp_path / "cache" / "cloud.json").read_text())
    assert record["region"] == "eu-west-3" and record["key"].startswith("boot-1|aws|")

    again = detector(tmp_path, "aws_nitro", dead_url).detect()
    assert again is not None and again.region == "eu-west-3"
    assert "cached in" in again.how

    rebooted = detector(tmp_path, "aws_nitro", dead_url, boot="boot-2").detect()
    assert rebooted is not None and rebooted.region is None
    assert "did not answer" in rebooted.how


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "not_a_dir").write_text("")
    boot_id = tmp_path / "boot_id"
    boot_id.write_text("boot-1\n")
    with FakeService(gcp_metadata) as service:
        guess = CloudDetector(
            dmi_dir=make_dmi(tmp_path, "gcp"),
            endpoints={"gcp": service.url},
            cache_path=tmp_path / "not_a_dir" / "cloud.json",
            boot_id_path=boot_id,
        ).detect()
    assert guess is not None and guess.region == "europe-west1"


def test_default_cache_path_follows_xdg(tmp_path: Path) -> None:
    xdg = default_cache_path({"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"})
    assert xdg == Path("/x/cache/wattprint/cloud.json")
    relative = default_cache_path({"XDG_CACHE_HOME": "relative", "HOME": "/h"})
    assert relative == Path("/h/.cache/wattprint/cloud.json")


def test_bad_settings_raise_config_error_naming_the_value() -> None:
    with pytest.raises(ConfigError, match="budget_s=0"):
        CloudDetector(budget_s=0)
    with pytest.raises(ConfigError, match="'oracle'"):
        CloudDetector(endpoints={"oracle": "http://169.254.169.254"})


# --------------------------------------------------------------------------- time zone


def tz_guess(
    tmp_path: Path, env: dict[str, str], link: str | None = None, timezone_text: str = "",
    zoneinfo: Path = ZONEINFO,
) -> TzGuess | None:  # fmt: skip
    if link is not None:
        (tmp_path / "localtime").symlink_to(link)
    (tmp_path / "timezone").write_text(timezone_text)
    return guess_from_timezone(
        env=env,
        localtime=tmp_path / "localtime",
        timezone_file=tmp_path / "timezone",
        zoneinfo_dir=zoneinfo,
    )


def tz(
    tmp_path: Path, env: dict[str, str], link: str | None = None, timezone_text: str = "",
    zoneinfo: Path = ZONEINFO,
) -> tuple[str, str, bool] | None:  # fmt: skip
    guess = tz_guess(tmp_path, env, link, timezone_text, zoneinfo)
    if guess is None:
        return None
    assert guess.how
    return guess.country_iso2, guess.subdivision or "", guess.subdivision_is_guess


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Europe/Paris", ("FR", "", False)),
        (":Europe/Paris", ("FR", "", False)),
        (":/usr/share/zoneinfo/Europe/Paris", ("FR", "", False)),
        ("Europe/Luxembourg", ("LU", "", False)),
        ("Asia/Kolkata", ("IN", "", False)),
        ("America/Los_Angeles", ("US", "US-CA", True)),
        ("America/Chicago", ("US", "", False)),
        ("America/Phoenix", ("US", "US-AZ", False)),
        ("America/Toronto", ("CA", "CA-ON", True)),
        ("America/Vancouver", ("CA", "CA-BC", False)),
        ("America/Edmonton", ("CA", "CA-AB", True)),
        ("Australia/Sydney", ("AU", "AU-NSW", True)),
        ("Australia/Melbourne", ("AU", "AU-VIC", False)),
        ("US/Pacific", ("US", "US-CA", True)),
        ("America/Montreal", ("CA", "CA-QC", True)),
        ("Asia/Calcutta", ("IN", "", False)),
        ("Australia/ACT", ("AU", "AU-ACT", False)),
    ],
)
def test_tz_variable(tmp_path: Path, value: str, expected: tuple[str, str, bool]) -> None:
    assert tz(tmp_path, {"TZ": value}) == expected


def test_how_says_which_table_and_why_a_state_is_a_guess(tmp_path: Path) -> None:
    guess = tz_guess(tmp_path, {"TZ": "US/Pacific"})
    assert guess is not None and guess.zone == "US/Pacific"
    assert "US/Pacific is a link to America/Los_Angeles" in guess.how
    assert "zone.tab maps America/Los_Angeles to US" in guess.how
    assert "also covers WA, OR, NV" in guess.how


def test_posix_rules_and_utc_fall_through_to_localtime(tmp_path: Path) -> None:
    for n, value in enumerate(("UTC0", "EST5EDT", "CET-1CEST,M3.5.0,M10.5.0/3", "UTC", "Etc/UTC")):
        (tmp_path / str(n)).mkdir()
        found = tz(tmp_path / str(n), {"TZ": value}, "/usr/share/zoneinfo/Europe/Brussels")
        assert found == ("BE", "", False), value


def test_localtime_symlink_relative_and_posix(tmp_path: Path) -> None:
    assert tz(tmp_path, {}, "../usr/share/zoneinfo/posix/Australia/Perth") == ("AU", "AU-WA", False)


def test_etc_timezone_is_the_last_source(tmp_path: Path) -> None:
    assert tz(tmp_path, {}, timezone_text="Asia/Tokyo\n") == ("JP", "", False)
    (tmp_path / "utc").mkdir()
    assert tz(tmp_path / "utc", {}, "/usr/share/zoneinfo/Etc/UTC", "Etc/UTC\n") is None


@pytest.mark.parametrize("value", ["Etc/UTC", "UTC", "Etc/GMT+5", "Mars/Olympus_Mons", "EST5EDT"])
def test_zones_that_tell_no_country(tmp_path: Path, value: str) -> None:
    assert tz(tmp_path, {"TZ": value}) is None


def test_zone1970_alone_takes_the_first_country_and_says_so(tmp_path: Path) -> None:
    only_1970 = tmp_path / "zoneinfo"
    only_1970.mkdir()
    (only_1970 / "zone1970.tab").write_bytes((ZONEINFO / "zone1970.tab").read_bytes())
    guess = tz_guess(tmp_path, {"TZ": "Europe/Brussels"}, zoneinfo=only_1970)
    assert guess is not None and guess.country_iso2 == "BE"
    assert "zone1970.tab lists BE,LU,NL for Europe/Brussels; took the first, BE" in guess.how


def test_link_resolved_through_the_zone_file_symlink(tmp_path: Path) -> None:
    zoneinfo = tmp_path / "zoneinfo"
    (zoneinfo / "America").mkdir(parents=True)
    (zoneinfo / "America" / "Toronto").write_bytes(b"TZif")
    (zoneinfo / "Canada").mkdir()
    (zoneinfo / "Canada" / "Eastern").symlink_to("../America/Toronto")
    (zoneinfo / "zone.tab").write_bytes((ZONEINFO / "zone.tab").read_bytes())
    assert tz(tmp_path, {"TZ": "Canada/Eastern"}, zoneinfo=zoneinfo) == ("CA", "CA-ON", True)


def test_the_real_system_files_do_not_break() -> None:
    guess = guess_from_timezone()
    assert guess is None or len(guess.country_iso2) == 2


# --------------------------------------------------------------------------- geo-IP


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a proxy set in the environment away from the local server."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def test_geoip_answer(no_proxy: None) -> None:
    with FakeService(fixed(200, recorded("ipinfo.json"))) as service:
        guess = lookup_geoip(base_url=f"{service.url}/json")
    assert (guess.country_iso2, guess.region) == ("US", "Massachusetts")
    assert "66.87.125.72" not in guess.how and "opted in" in guess.how


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html>rate limited</html>", "expected JSON"),
        (200, b'{"ip": "10.0.0.1", "bogon": true}', "bogon"),
        (200, b'{"country": "France"}', "'France'"),
        (200, b'["US"]', "expected a JSON object"),
        (500, b"oops", "HTTP 500"),
        (0, b"NOT HTTP AT ALL\r\n\r\n", "BadStatusLine"),
    ],
)
def test_geoip_failures_raise_provider_error(
    no_proxy: None, status: int, body: bytes, message: str
) -> None:
    with FakeService(fixed(status, body)) as service, pytest.raises(ProviderError, match=message):
        lookup_geoip(base_url=f"{service.url}/json")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Response(200, b'{"ip": "10.0.0.1", "bogon": true}'), "bogon"),
        (Response(429, b"rate limit"), "HTTP 429 rate limit"),
        (TimeoutError("timed out"), "timed out"),
    ],
)
def test_geoip_in_memory(answer: Response | BaseException, message: str) -> None:
    seen: list[Request] = []

    def handle(sent: Request) -> Response:
        seen.append(sent)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    with pytest.raises(ProviderError, match=message) as info:
        lookup_geoip(base_url="https://geo.example.org/json", transport=MockTransport(handle))
    assert "https://geo.example.org/json" in str(info.value)
    assert seen[0].headers["Accept"] == "application/json" and seen[0].timeout_s == 2.0
    ok = MockTransport(lambda _: Response(200, recorded("ipinfo.json")))
    guess = lookup_geoip(base_url="https://geo.example.org/json", transport=ok)
    assert (guess.country_iso2, guess.region) == ("US", "Massachusetts")


def test_geoip_timeout(no_proxy: None) -> None:
    with FakeService(HANG) as service:
        started = time.monotonic()
        with pytest.raises(ProviderError, match="timed out"):
            lookup_geoip(base_url=f"{service.url}/json", timeout_s=0.3)
        assert time.monotonic() - started < 1.0
