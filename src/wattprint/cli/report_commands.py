"""``wattprint report``, ``wattprint keygen`` and ``wattprint verify``.

Thin: each parses its options, calls :mod:`wattprint.report` and prints.
A report goes to stdout (Markdown rendered with rich on a terminal) or to
``--output``; diagnostics go to stderr. Bad input exits 1 with ``Error: ...``
naming the file and line; a report that fails verification exits 1 too.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

import click

from wattprint.errors import ConfigError, WattprintError


def _default_inputs() -> list[Path]:
    from wattprint.settings.resolve import resolve_settings

    try:
        settings = resolve_settings({"save_to_file": False})
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    path = Path(settings.output_dir) / settings.output_file
    # The rows wattprint diverted when the file was another tool's, and CodeCarbon's
    # task files (emissions_<experiment>_<run id>.csv), are read with it.
    diverted = sorted(path.parent.glob(f"{glob.escape(path.stem)}.wattprint-*{path.suffix}"))
    tasks = sorted(path.parent.glob(f"{glob.escape(path.stem)}_*_*{path.suffix}"))
    found = [p for p in (path, *diverted) if p.exists()]
    if not found:
        raise click.UsageError(
            f"no PATHS given and no {path} here: name the emissions files, or their folder"
        )
    return [*found, *tasks]


@click.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--run", "run_id", default=None, help="Only this run (its id, or its start).")
@click.option("--project", default=None, help="Only the runs of this project.")
@click.option("--group", default=None, help="Only the runs of this run group.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "latex", "json"]),
    default=None,
    help="Output format.  [default: from --output's suffix, else md]",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--sign",
    "sign_key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sign the JSON report with this Ed25519 private key (PEM); implies --format json.",
)
@click.option("--title", default=None, help="The report's title.")
@click.option(
    "--top",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Places shown at each end of the what-if rankings.",
)
def report(
    paths: tuple[Path, ...],
    run_id: str | None,
    project: str | None,
    group: str | None,
    fmt: str | None,
    output: Path | None,
    sign_key: Path | None,
    title: str | None,
    top: int,
) -> None:
    """Report on the runs in PATHS (emissions.csv, CodeCarbon's too, JSON lines, or folders).

    A folder stands for every emissions file in it: wattprint's, the
    emissions.wattprint-N.csv it diverted rows to, and CodeCarbon's files, whose
    task files (emissions_<experiment>_<run id>.csv) give their run its tasks.
    Without PATHS, the emissions.csv wattprint writes here is read, with the
    files it diverted rows to.
    """
    from wattprint.report.build import format_for, render, report_from_files

    if sign_key is not None and fmt not in (None, "json"):
        raise click.UsageError(f"--sign signs a JSON report, not --format {fmt}")
    chosen = "json" if sign_key is not None else format_for(output, fmt)
    try:
        built = report_from_files(
            list(paths) or _default_inputs(),
            run_id=run_id,
            project=project,
            group=group,
            title=title,
            top=top,
            on_damaged=lambda err: click.echo(f"Warning: skipped {err}", err=True),
        )
        if sign_key is not None:
            from wattprint.report.render.jsonreport import render_json, report_to_dict
            from wattprint.report.signing import load_private_key, sign_report

            document = render_json(sign_report(report_to_dict(built), load_private_key(sign_key)))
        else:
            document = render(built, chosen)
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    if output is not None:
        try:
            output.write_text(document, encoding="utf-8")
        except OSError as err:
            raise click.ClickException(f"{output}: cannot be written ({err.strerror})") from err
        click.echo(f"report written to {output}", err=True)
    elif chosen == "md" and sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(document))
    else:
        click.echo(document, nl=False)


@click.command("keygen")
@click.option(
    "--key",
    "private_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("wattprint-signing.key"),
    show_default=True,
    help="Where to write the private key (PEM, readable by you only).",
)
@click.option(
    "--public",
    "public_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the public key.  [default: the private key's path + .pub]",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def keygen(private_path: Path, public_path: Path | None, force: bool) -> None:
    """Make an Ed25519 key pair for signing reports (wattprint report --sign)."""
    from wattprint.report.signing import write_keypair

    public = public_path or private_path.with_name(private_path.name + ".pub")
    try:
        key_id = write_keypair(private_path, public, overwrite=force)
    except ConfigError as err:
        raise click.UsageError(str(err)) from err
    except (WattprintError, OSError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"private key: {private_path} (keep it secret)")
    click.echo(f"public key:  {public} (give it to whoever verifies)")
    click.echo(f"key id:      {key_id}")


@click.command("verify")
@click.argument("report_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "public_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The signer's public key (PEM); without it, the key in the report is trusted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON on stdout.")
def verify(report_path: Path, public_path: Path | None, as_json: bool) -> None:
    """Check a signed JSON report's signature and recompute every derived figure.

    Exits 0 when every check passed, 1 when any failed.
    """
    from wattprint.report.render.jsonreport import read_report
    from wattprint.report.signing import load_public_key, verify_report

    try:
        data = read_report(report_path)
        key = load_public_key(public_path) if public_path is not None else None
        result = verify_report(data, public_key=key)
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    failed = [c for c in result.checks if c.passed is False]
    if as_json:
        checks = [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in result.checks]
        click.echo(json.dumps({"ok": result.ok, "checks": checks}, indent=2))
    else:
        for c in result.checks:
            mark = "SKIP" if c.passed is None else "PASS" if c.passed else "FAIL"
            click.echo(f"{mark}  {c.name}: {c.detail}")
        passed = sum(c.passed is True for c in result.checks)
        if result.ok:
            click.echo(f"verified: all {passed} checks passed ({report_path})")
        else:
            click.echo(
                f"NOT verified: {len(failed)} of {len(result.checks)} checks failed ({report_path})"
            )
    if not result.ok:
        sys.exit(1)
