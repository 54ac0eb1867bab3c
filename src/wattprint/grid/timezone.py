"""Guess the country (and sometimes the state) from the machine's time zone.

A machine's time zone is set by a person, usually to where they are, so it is
a fair and free hint of the place whose grid powers a laptop or an office
server (not a cloud VM, which often keeps UTC: see ``cloud_detect``). The
zone name is read from, in order:

1. the ``TZ`` environment variable (``Europe/Paris`` or ``:Europe/Paris``;
   POSIX rules such as ``UTC0`` or ``CET-1CEST,M3.5.0,M10.5.0/3`` say nothing
   about the place and are skipped unless they name a zone file);
2. the target of the ``/etc/localtime`` symlink (``.../zoneinfo/Europe/Paris``);
3. the first line of ``/etc/timezone`` (Debian and Ubuntu).

A source giving UTC (``UTC``, ``Etc/UTC``, ``Etc/GMT+5``...) says nothing
about the place either, so the next source is tried. The zone is mapped to a
country with the tz database's own tables in ``/usr/share/zoneinfo``:
``zone.tab`` first, which gives one country per zone (``Europe/Brussels`` is
BE, ``Europe/Luxembourg`` is LU), then ``zone1970.tab``, which lists every
country a zone covers since 1970 (``BE,LU,NL`` for ``Europe/Brussels``): its
first code is taken, and ``how`` says so. Link names (``US/Pacific``,
``Asia/Calcutta``) are resolved through ``tzdata.zi`` or the zone file's
symlink when the tables do not list them.

For the United States, Canada and Australia a subdivision (ISO 3166-2) is
given where the zone tells it: ``America/Phoenix`` is Arizona,
``Australia/Melbourne`` Victoria. Where the zone covers its main subdivision
and a little more, the main one is given with ``subdivision_is_guess`` set
(``America/Los_Angeles`` gives US-CA, but the zone also covers WA, OR and
NV). Zones that span many states give none: ``America/New_York``,
``America/Chicago`` and ``America/Denver`` each cover a dozen or more, and a
guess would be wrong more often than right. ``Asia/Kolkata`` covers all of
India, so no Indian state can be told.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class TzGuess:
    """A country (and maybe a subdivision) guessed from the time zone.

    Attributes:
        zone: the tz database zone name as found, e.g. ``Europe/Paris``.
        country_iso2: ISO 3166-1 alpha-2 code, e.g. ``FR``.
        subdivision: ISO 3166-2 code such as ``US-CA`` or ``AU-NSW``, or None.
        subdivision_is_guess: True when the zone also covers other
            subdivisions than the one given.
        how: how the zone, the country and the subdivision were found.
    """

    zone: str
    country_iso2: str
    subdivision: str | None
    subdivision_is_guess: bool
    how: str


_UTC_NAMES = frozenset(
    {"UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu", "Factory"}
)
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")

# zone -> (ISO 3166-2 code, what else the zone covers; None when nothing else).
# From the comments of zone.tab (tzdata 2025b); see the module docstring.
_SUBDIVISIONS: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        "America/Los_Angeles": ("US-CA", "WA, OR, NV and northern ID"),
        "America/Boise": ("US-ID", "eastern OR"),
        "America/Phoenix": ("US-AZ", None),
        "Pacific/Honolulu": ("US-HI", None),
        **dict.fromkeys(
            (
                "America/Anchorage",
                "America/Juneau",
                "America/Sitka",
                "America/Metlakatla",
                "America/Yakutat",
                "America/Nome",
                "America/Adak",
            ),
            ("US-AK", None),
        ),
        "America/Detroit": ("US-MI", None),
        "America/Menominee": ("US-MI", None),
        **dict.fromkeys(
            (
                "America/Indiana/Indianapolis",
                "America/Indiana/Vincennes",
                "America/Indiana/Winamac",
                "America/Indiana/Marengo",
                "America/Indiana/Petersburg",
                "America/Indiana/Vevay",
                "America/Indiana/Tell_City",
                "America/Indiana/Knox",
            ),
            ("US-IN", None),
        ),
        "America/Kentucky/Louisville": ("US-KY", None),
        "America/Kentucky/Monticello": ("US-KY", None),
        **dict.fromkeys(
            (
                "America/North_Dakota/Center",
                "America/North_Dakota/New_Salem",
                "America/North_Dakota/Beulah",
            ),
            ("US-ND", None),
        ),
        "America/Toronto": ("CA-ON", "most of QC"),
        "America/Montreal": ("CA-QC", "ON (the name is a link to America/Toronto)"),
        "America/Vancouver": ("CA-BC", None),
        "America/Creston": ("CA-BC", None),
        "America/Dawson_Creek": ("CA-BC", None),
        "America/Fort_Nelson": ("CA-BC", None),
        "America/Edmonton": ("CA-AB", "eastern BC, eastern NT and western SK"),
        "America/Winnipeg": ("CA-MB", "western ON"),
        "America/Regina": ("CA-SK", None),
        "America/Swift_Current": ("CA-SK", None),
        "America/Halifax": ("CA-NS", "PE"),
        "America/Glace_Bay": ("CA-NS", None),
        "America/Moncton": ("CA-NB", None),
        "America/St_Johns": ("CA-NL", None),
        "America/Goose_Bay": ("CA-NL", None),
        "America/Blanc-Sablon": ("CA-QC", None),
        "America/Whitehorse": ("CA-YT", None),
        "America/Dawson": ("CA-YT", None),
        "America/Iqaluit": ("CA-NU", None),
        "America/Rankin_Inlet": ("CA-NU", None),
        "America/Resolute": ("CA-NU", None),
        "America/Cambridge_Bay": ("CA-NU", None),
        "America/Inuvik": ("CA-NT", None),
        "Australia/Sydney": ("AU-NSW", "the ACT"),
        "Australia/Broken_Hill": ("AU-NSW", None),
        "Australia/Lord_Howe": ("AU-NSW", None),
        "Australia/ACT": ("AU-ACT", None),
        "Australia/Canberra": ("AU-ACT", None),
        "Australia/Melbourne": ("AU-VIC", None),
        "Australia/Brisbane": ("AU-QLD", None),
        "Australia/Lindeman": ("AU-QLD", None),
        "Australia/Perth": ("AU-WA", None),
        "Australia/Eucla": ("AU-WA", None),
        "Australia/Adelaide": ("AU-SA", None),
        "Australia/Hobart": ("AU-TAS", None),
        "Antarctica/Macquarie": ("AU-TAS", None),
        "Australia/Darwin": ("AU-NT", None),
    }
)
_SUBDIVIDED = MappingProxyType({"US": "state", "CA": "province", "AU": "state", "IN": "state"})


def guess_from_timezone(
    *,
    env: Mapping[str, str] | None = None,
    localtime: Path = Path("/etc/localtime"),
    timezone_file: Path = Path("/etc/timezone"),
    zoneinfo_dir: Path = Path("/usr/share/zoneinfo"),
) -> TzGuess | None:
    """Guess the country, and where possible the subdivision, from the time zone.

    Args:
        env: the environment, for ``TZ``; ``os.environ`` when None.
        localtime: the ``/etc/localtime`` symlink.
        timezone_file: the ``/etc/timezone`` file.
        zoneinfo_dir: the tz database directory holding ``zone.tab``,
            ``zone1970.tab`` and ``tzdata.zi``.

    Returns:
        The guess, or None when no source names a zone that maps to a
        country (unset, UTC, a POSIX rule, or a zone the tables lack).
    """
    env = os.environ if env is None else env
    notes: list[str] = []
    tables = _Tables(zoneinfo_dir)
    for zone, source in _candidates(env, localtime, timezone_file, zoneinfo_dir, notes):
        if zone in _UTC_NAMES or zone.startswith("Etc/"):
            notes.append(f"{source} gives {zone}, which says nothing about the place")
            continue
        guess = _place(zone, source, tables, notes)
        if guess is not None:
            return guess
    return None


def _candidates(
    env: Mapping[str, str],
    localtime: Path,
    timezone_file: Path,
    zoneinfo_dir: Path,
    notes: list[str],
) -> Iterator[tuple[str, str]]:
    """Yield (zone name, its source for people), source by source, lazily."""
    tz = env.get("TZ", "")
    if tz:
        name = tz.removeprefix(":")
        name = _zone_from_path(name) if name.startswith("/") else name
        if _ZONE_NAME.fullmatch(name) and ("/" in name or (zoneinfo_dir / name).is_file()):
            yield name, f"TZ={tz!r}"
        else:
            notes.append(f"TZ={tz!r} is a POSIX rule, not a zone name")
    try:
        target = os.readlink(localtime)
    except OSError:
        pass  # missing, or a copy of the zone file rather than a link: its name is unknown
    else:
        name = _zone_from_path(target) or _zone_from_path(os.path.realpath(localtime))
        if name and _ZONE_NAME.fullmatch(name):
            yield name, f"{localtime} -> {target}"
        else:
            notes.append(f"{localtime} -> {target} is not under a zoneinfo directory")
    try:
        lines = timezone_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    name = lines[0].strip() if lines else ""
    if _ZONE_NAME.fullmatch(name):
        yield name, f"{timezone_file} says {name}"


def _zone_from_path(path: str) -> str:
    """Return the zone name in a path such as ``/usr/share/zoneinfo/Europe/Paris``."""
    marker = "zoneinfo/"
    at = path.rfind(marker)
    if at < 0:
        return ""
    name = path[at + len(marker) :]
    for prefix in ("posix/", "right/"):
        name = name.removeprefix(prefix)
    return name


class _Tables:
    """The tz database tables, each read on first use."""

    __slots__ = ("_dir", "_links", "_tabs")

    def __init__(self, zoneinfo_dir: Path) -> None:
        self._dir = zoneinfo_dir
        self._tabs: dict[str, dict[str, tuple[str, ...]]] = {}
        self._links: dict[str, str] | None = None

    def countries(self, table: str, zone: str) -> tuple[str, ...]:
        """Return the country codes ``table`` (``zone.tab``...) lists for ``zone``."""
        if table not in self._tabs:
            self._tabs[table] = _read_tab(self._dir / table)
        return self._tabs[table].get(zone, ())

    def link_target(self, zone: str) -> str | None:
        """Return the zone that the link name ``zone`` stands for, if it is a link."""
        if self._links is None:
            self._links = _read_links(self._dir / "tzdata.zi")
        if zone in self._links:
            return self._links[zone]
        path = self._dir / zone
        if path.is_symlink():
            target = _relative_zone(os.path.realpath(path), os.path.realpath(self._dir))
            return target or None
        return None


def _read_tab(path: Path) -> dict[str, tuple[str, ...]]:
    """Read ``zone.tab`` or ``zone1970.tab``: zone -> country codes, in order."""
    rows: dict[str, tuple[str, ...]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return rows
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) >= 3 and columns[0] and columns[2]:
            rows.setdefault(columns[2], tuple(columns[0].split(",")))
    return rows


def _read_links(path: Path) -> dict[str, str]:
    """Read the ``L TARGET LINK`` lines of ``tzdata.zi``: link -> target."""
    links: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return links
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


def _relative_zone(path: str, root: str) -> str:
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else ""


def _place(zone: str, source: str, tables: _Tables, notes: list[str]) -> TzGuess | None:
    """Map ``zone`` to a country and subdivision, or None if the tables lack it."""
    found = _country(zone, tables)
    link = ""
    resolved = zone
    if found is None:
        target = tables.link_target(zone)
        if target is not None and target != zone:
            found = _country(target, tables)
            link = f"{zone} is a link to {target}; "
            resolved = target
    if found is None:
        notes.append(f"{source} gives {zone}, which zone.tab and zone1970.tab do not list")
        return None
    country, country_how = found
    subdivision, is_guess, sub_how = _subdivision(zone, resolved, country)
    how = "; ".join([*notes, source, link + country_how, *([sub_how] if sub_how else [])])
    return TzGuess(zone, country, subdivision, is_guess, how)


def _country(zone: str, tables: _Tables) -> tuple[str, str] | None:
    codes = tables.countries("zone.tab", zone)
    if codes:
        return codes[0], f"zone.tab maps {zone} to {codes[0]}"
    codes = tables.countries("zone1970.tab", zone)
    if len(codes) == 1:
        return codes[0], f"zone1970.tab maps {zone} to {codes[0]}"
    if codes:
        listed = ",".join(codes)
        return codes[0], f"zone1970.tab lists {listed} for {zone}; took the first, {codes[0]}"
    return None


def _subdivision(zone: str, resolved: str, country: str) -> tuple[str | None, bool, str]:
    """Return (ISO 3166-2 code, whether it is a guess, how) for the zone."""
    for name in (zone, resolved):
        entry = _SUBDIVISIONS.get(name)
        if entry is None or not entry[0].startswith(f"{country}-"):
            continue
        code, also = entry
        if also is None:
            return code, False, f"{name} lies within {code}"
        return code, True, f"{code} is a guess: {name} also covers {also}"
    kind = _SUBDIVIDED.get(country)
    if kind is None:
        return None, False, ""
    if country == "IN":
        return None, False, f"{resolved} covers all of India: no {kind} can be told"
    return None, False, f"{resolved} spans several {kind}s: no {kind} guessed"
