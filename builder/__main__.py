"""Command line: `python -m builder fetch|ingest|check|build|serve`; the only module that prints."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from builder import __version__
from builder.build import build
from builder.check import check
from builder.config import CONFIG_NAME, SiteConfig, find_config, load_config
from builder.errors import BuilderError
from builder.ingest import ingest
from builder.run import Progress

log = logging.getLogger("builder")


class _Counter(logging.Handler):
    """Count warnings, so --strict can fail the run."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return message


def _year(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year such as 2026, got {text!r}") from None
    if not 1900 <= value <= 2999:
        raise argparse.ArgumentTypeError(f"expected a year between 1900 and 2999, got {value}")
    return value


def _shared_flags() -> argparse.ArgumentParser:
    """The flags every command takes: where things are, --year, --strict, --debug."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"settings file (default: {CONFIG_NAME} in the current folder or the nearest above)",
    )
    common.add_argument(
        "--snapshots", type=Path, metavar="DIR", help="folder of saved listing pages to read"
    )
    common.add_argument(
        "--papers", type=Path, metavar="DIR", help="folder of paper files (<slug>.md) to write"
    )
    common.add_argument(
        "--year",
        type=_year,
        metavar="YYYY",
        help="capture year for snapshots whose dates show no year (default: infer it)",
    )
    common.add_argument("--strict", action="store_true", help="exit 1 when there is any warning")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug messages")
    return common


def _endpoint_flag() -> argparse.ArgumentParser:
    """The --endpoint flag of the commands that ask the API."""
    endpoint = argparse.ArgumentParser(add_help=False)
    endpoint.add_argument(
        "--endpoint",
        metavar="URL",
        help="the API to ask (default: HF_ENDPOINT, else api_endpoint in site.yaml, else "
        "https://huggingface.co)",
    )
    return endpoint


def _add_fetch(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add `fetch` and its selectors."""
    fetch = commands.add_parser(
        "fetch",
        parents=parents,
        help="save the listing's API answers as snapshots (today's daily papers by default)",
        description="Ask the Daily Papers API (through huggingface_hub, without a token) and "
        "save each answer as one snapshot in the snapshots folder, named by the request; "
        "asking again replaces it with the newer capture. Dates are UTC.",
    )
    chosen = fetch.add_mutually_exclusive_group()
    chosen.add_argument("--date", metavar="YYYY-MM-DD", help="the daily papers of a day")
    chosen.add_argument("--week", metavar="YYYY-Www", help="the daily papers of an ISO week")
    chosen.add_argument("--month", metavar="YYYY-MM", help="the daily papers of a month")
    chosen.add_argument("--search", metavar="QUERY", help="the papers a search finds")
    fetch.add_argument(
        "--from", dest="first", metavar="YYYY-MM-DD", help="backfill day by day from this day"
    )
    fetch.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="... to this day")
    fetch.add_argument(
        "--refresh", action="store_true", help="in a backfill, ask again for days already saved"
    )
    fetch.add_argument(
        "--artifacts",
        action="store_true",
        help="ask the Hub for the models, datasets and Spaces that cite each paper first "
        "captured in the last 14 days (see --all), and save the answers as the day's "
        "artifacts snapshot",
    )
    fetch.add_argument(
        "--all",
        dest="every",
        action="store_true",
        help="with --artifacts: every paper with an arXiv id (a run that stops goes on where "
        "it stopped next time)",
    )
    fetch.add_argument(
        "--resolve",
        action="store_true",
        help="search the API for the title of every paper file without an arXiv id and save "
        "the exact matches, so that ingest completes those files",
    )


def _add_site_commands(
    commands: Any, common: argparse.ArgumentParser, endpoint: argparse.ArgumentParser
) -> None:
    """Add `build` and `serve`, which write the site."""
    site = argparse.ArgumentParser(add_help=False, parents=[common])
    site.add_argument(
        "--out", type=Path, metavar="DIR", help="folder to build the site into (default: output)"
    )
    site.add_argument(
        "--base-url",
        metavar="URL",
        help="where the site is published, such as https://user.github.io/repo/ "
        "(default: base_url in site.yaml)",
    )
    build_parser = commands.add_parser(
        "build",
        parents=[site, endpoint],
        help="ingest, then build the site",
        description="Ingest, then render the paper files into the site folder.",
    )
    build_parser.add_argument(
        "--fetch", action="store_true", help="first fetch today's daily papers (see fetch)"
    )
    build_parser.add_argument(
        "--full",
        action="store_true",
        help="ignore the build state: read, render and compute everything anew (related "
        "papers refitted too), then record the new state",
    )
    serve_parser = commands.add_parser(
        "serve",
        parents=[site],
        help="build, serve on localhost, rebuild and reload on changes",
        description="Build the site, serve it on http://127.0.0.1:PORT/, and rebuild it (and "
        "reload open pages) whenever snapshots, papers, templates or site.yaml change.",
    )
    serve_parser.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port to listen on (default: 8000)"
    )


def make_parser() -> argparse.ArgumentParser:
    """Build the argument parser; every flag is documented in --help."""
    common, endpoint = _shared_flags(), _endpoint_flag()
    parser = argparse.ArgumentParser(
        prog="python -m builder",
        description="Turn saved Daily Papers listing pages into one Markdown file per paper "
        "and a static site.",
        epilog="Flags override site.yaml. Exit status: 0 done (maybe with warnings), "
        "1 error or warnings under --strict, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_fetch(commands, [common, endpoint])
    commands.add_parser(
        "ingest",
        parents=[common],
        help="read the snapshots and write/update the paper files",
        description="Read the snapshots and write or update one paper file per unique paper.",
    )
    commands.add_parser(
        "check",
        parents=[common],
        help="report every problem in the snapshots, paper files and templates; write nothing",
        description="Read the snapshots, load the paper files and compile the templates, "
        "report each problem as file:line, and write nothing. Exit status 1 when there is any.",
    )
    _add_site_commands(commands, common, endpoint)
    return parser


@contextmanager
def _logging(debug: bool) -> Iterator[_Counter]:
    """Send the builder's log to stderr for one run, counting warnings; restore it after."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Format())
    counter = _Counter()
    saved = (log.handlers[:], log.level, log.propagate)
    log.handlers[:] = [handler, counter]
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    log.propagate = False
    try:
        yield counter
    finally:
        log.handlers[:], log.level, log.propagate = saved


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = make_parser().parse_args(argv)
    with _logging(args.debug) as counter:
        return _run(args, counter)


def _load(args: argparse.Namespace, config_path: Path | None) -> SiteConfig:
    """Read site.yaml and apply the command-line flags; log its warnings."""
    overrides = {
        "snapshots": args.snapshots.resolve() if args.snapshots else None,
        "papers": args.papers.resolve() if args.papers else None,
        "output": args.out.resolve() if getattr(args, "out", None) else None,
        "year": args.year,
        "base_url": getattr(args, "base_url", None),
    }
    config, warnings = load_config(config_path, overrides)
    for warning in warnings:
        log.warning("%s", warning)
    return config


def _fetch(args: argparse.Namespace, config: SiteConfig) -> Any:
    """Run `fetch` (or the fetch of `build --fetch`) as its flags ask."""
    from builder import fetch

    endpoint = fetch.endpoint_of(args.endpoint, config.api_endpoint)
    # `build --fetch` has none of these flags: it fetches today's papers.
    asked = {
        k: getattr(args, k, None) for k in ("date", "week", "month", "search", "first", "last")
    }
    if getattr(args, "every", False) and not getattr(args, "artifacts", False):
        raise BuilderError("--all goes with --artifacts")
    if getattr(args, "artifacts", False):
        if any(asked.values()) or getattr(args, "resolve", False):
            raise BuilderError("--artifacts asks the Hub about the paper files: no other selector")
        from builder.fetch_artifacts import fetch_for

        return fetch_for(config, endpoint, every=args.every, refresh=args.refresh)
    resolve = getattr(args, "resolve", False)
    requests = fetch.select_requests(**asked, resolve=resolve, today=fetch.utc_now().date())
    if asked["first"]:  # a backfill: a bar on a terminal
        with Progress(len(requests), "fetching", "days") as bar:
            report = fetch.fetch(
                requests,
                config.snapshots,
                endpoint,
                backfill=True,
                refresh=getattr(args, "refresh", False),
                progress=bar.update,
            )
    else:
        report = fetch.fetch(requests, config.snapshots, endpoint)
    if resolve:
        path, found = fetch.resolve(config, endpoint)
        if path is not None:
            report.saved.append((path.name, len(found.items)))
        log.info(
            "resolve: %d title(s) matched, %d unknown to the API, %d asked in the last %d days",
            len(found.items),
            len(found.unknown),
            len(found.waiting),
            fetch.MISS_DAYS,
        )
    return report


def _run(args: argparse.Namespace, counter: _Counter) -> int:
    """Run one parsed command."""
    try:
        config_path = args.config or find_config(Path.cwd())
        if args.config is not None and not args.config.is_file():
            raise BuilderError(f"--config {args.config}: no such file")

        def load() -> SiteConfig:
            return _load(args, config_path)

        if args.command == "fetch":
            log.info("%s", _fetch(args, load()).summary())
        elif args.command == "ingest":
            log.info("%s", ingest(load()).summary())
        elif args.command == "build":
            config = load()
            if args.fetch:
                log.info("%s", _fetch(args, config).summary())
            log.info("%s", build(config, full=args.full).summary())
        elif args.command == "check":
            report = check(load())
            log.info("%s", report.summary())
            if report.problems:
                return 1
        else:
            from builder.serve import serve  # imported here: the other commands serve nothing

            serve(load, config_path, args.port)
    except BuilderError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; nothing half-written was left behind.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly; the traceback is for --debug
        if args.debug:
            traceback.print_exc()
        print(
            f"Error: internal error ({type(exc).__name__}: {exc}); "
            "run again with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return 1
    if args.strict and counter.count:
        print(f"Error: {counter.count} warning(s) and --strict is set", file=sys.stderr)
        return 1
    return 0


def leave(code: int) -> NoReturn:
    """Exit at once, once the output is flushed: every file and the cache are written by now,
    and freeing a big build's objects one by one took 0.3 s at 10,000 papers."""
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    leave(main())
