"""The command line: flags, exit codes, messages, any working folder, no noise in logs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LISTINGS, REPO, SEEDS

FLAGS = ["--config", "--snapshots", "--papers", "--year", "--strict", "--debug"]


def test_help_documents_every_flag(cli) -> None:
    code, out, _ = cli("ingest", "--help")
    assert code == 0 and all(flag in out for flag in FLAGS)
    code, out, _ = cli("build", "--help")
    assert code == 0 and all(flag in out for flag in [*FLAGS, "--out"])
    code, out, _ = cli("--help")
    assert code == 0 and "ingest" in out and "build" in out and "Exit status" in out


@pytest.mark.parametrize(
    "args",
    [[], ["publish"], ["ingest", "--year", "soon"], ["ingest", "--year", "99"], ["build", "-x"]],
)
def test_usage_errors_exit_2(cli, args: list[str]) -> None:
    code, _, err = cli(*args)
    assert code == 2 and "usage:" in err


def test_ingest_from_another_folder_with_relative_paths(cli, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copytree(SEEDS, tmp_path / "snaps")
    code, out, err = cli("ingest", "--snapshots", "../snaps", "--papers", "papers", cwd=work)
    assert code == 0, err
    assert out == ""
    assert len(list((work / "papers").glob("*.md"))) == 134
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        "ingest: 4 files read, 170 entries, 134 unique papers (134 new, 0 updated, 0 unchanged), "
        "nothing skipped, "
    )
    assert "capture year 2026 inferred" in err
    assert "\r" not in err  # no progress bar when stderr is not a terminal


def test_config_paths_are_relative_to_the_config_file(cli, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SEEDS, site / "saved")
    (site / "site.yaml").write_text("snapshots: saved\npapers: papers\n")
    code, _, err = cli("ingest", "--config", str(site / "site.yaml"), cwd=tmp_path)
    assert code == 0, err
    assert len(list((site / "papers").glob("*.md"))) == 134
    nested = site / "a" / "b"
    nested.mkdir(parents=True)
    code, _, err = cli("ingest", cwd=nested)  # finds ../../site.yaml
    assert code == 0 and "134 unchanged" in err


def test_warnings_pass_and_strict_fails(cli, tmp_path: Path) -> None:
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    shutil.copy(LISTINGS / "malformed.txt", snaps)
    (snaps / "binary.txt").write_bytes(b"\x00\x01\x02")
    args = ["ingest", "--snapshots", str(snaps), "--papers", str(tmp_path / "p"), "--year", "2026"]
    code, _, err = cli(*args, cwd=tmp_path)
    assert code == 0
    assert "warning: snaps/malformed.txt:27: expected a real calendar date, found 'Feb 30'" in err
    assert "warning: snaps/binary.txt:1: expected text, found a NUL byte" in err
    assert "3 skipped (1 binary file, 2 malformed entry)" in err
    code, _, err = cli(*args, "--strict", cwd=tmp_path)
    assert code == 1
    assert err.strip().endswith("Error: 4 warning(s) and --strict is set")


def test_errors_are_one_line_and_tracebacks_only_with_debug(cli, tmp_path: Path) -> None:
    code, _, err = cli("ingest", "--snapshots", "nowhere", "--papers", "p", cwd=tmp_path)
    assert code == 1
    assert err == (
        "Error: snapshots folder nowhere does not exist; put saved listing pages "
        "(.txt, .html, .json) there, or pass --snapshots DIR\n"
    )
    code, _, err = cli("ingest", "--snapshots", "nowhere", "--debug", cwd=tmp_path)
    assert code == 1 and "Traceback" in err
    code, _, err = cli("ingest", "--config", "missing.yaml", cwd=tmp_path)
    assert (code, err) == (1, "Error: --config missing.yaml: no such file\n")


def test_build_refuses_a_dangerous_out(cli, tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "thesis.tex").write_text("precious")
    code, _, err = cli(
        "build", "--snapshots", str(SEEDS), "--papers", "p", "--out", "stuff", cwd=tmp_path
    )
    assert code == 1 and "not an earlier build" in err
    assert (tmp_path / "stuff" / "thesis.tex").read_text() == "precious"
    assert not (tmp_path / "p").exists()  # refused before anything was written


def test_console_script_and_module_run(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "paper-digest"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "0.1.0" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "builder", "ingest", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0 and "--snapshots" in result.stdout
    assert (REPO / "builder" / "__main__.py").is_file()
