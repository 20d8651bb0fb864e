"""dnf's and pacstrap's output as stages and counts (recorded runs against local repositories).

Both logs are real: Debian's dnf 4.14 and arch-install-scripts 28 (pacman
6.0) installing four and three stand-in packages from a local repository
(no Fedora or Arch mirror is reachable here; tests/lab/test_lab_create_rpm_arch.py
makes the same repositories and runs both tools through nspawn-tui).
"""

from __future__ import annotations

from pathlib import Path

from nspawn_tui.create.pkgprogress import PackageProgress

HERE = Path(__file__).parent


def _feed(tool: str, name: str) -> tuple[PackageProgress, list[tuple[str, int, int | None, float]]]:
    progress = PackageProgress("dnf" if tool == "dnf" else "pacman")
    seen = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if progress.feed(line):
            r = progress.reading()
            seen.append((r.stage, r.done, r.total, r.fraction))
    return progress, seen


def test_dnf_stages_counts_and_completion() -> None:
    progress, seen = _feed("dnf", "dnf-local-repo.log")
    stages = [s for s, *_ in seen]
    assert stages[0] == "Resolving" and stages[-1] == "Finishing"
    assert ("Installing", 4, 4) in [(s, d, t) for s, d, t, _ in seen]
    assert ("Verifying", 4, 4) in [(s, d, t) for s, d, t, _ in seen]
    assert [s for s in dict.fromkeys(stages)] == [
        "Resolving", "Downloading", "Checking", "Installing", "Verifying", "Finishing"]  # fmt: skip
    fractions = [f for *_, f in seen]
    assert fractions == sorted(fractions) and 0.9 < fractions[-1] <= 1.0
    assert progress.succeeded


def test_dnf_without_complete_has_not_succeeded() -> None:
    progress = PackageProgress("dnf")
    for line in ["Install  4 Packages", "Downloading Packages:", "Error: GPG check FAILED"]:
        progress.feed(line)
    assert not progress.succeeded
    assert progress.reading().stage == "Downloading"


def test_pacstrap_stages_and_counts() -> None:
    progress, seen = _feed("pacman", "pacstrap-local-repo.log")
    assert [s for s in dict.fromkeys(s for s, *_ in seen)] == [
        "Resolving", "Downloading", "Checking", "Installing"]  # fmt: skip
    assert seen[0][2] is None  # "Packages (3)" gives the total; no count in "Resolving"
    assert ("Downloading", 3, 3) in [(s, d, t) for s, d, t, _ in seen]
    assert seen[-1][:3] == ("Installing", 3, 3)
    fractions = [f for *_, f in seen]
    assert fractions == sorted(fractions) and 0.9 <= fractions[-1] < 1.0


def test_a_fraction_never_goes_back() -> None:
    progress = PackageProgress("dnf")
    progress.feed("Install  10 Packages")
    progress.feed("  Installing       : a-1.0-1.noarch                                   9/10 ")
    high = progress.reading().fraction
    progress.feed("  Installing       : b-1.0-1.noarch                                   1/10 ")
    assert progress.reading().fraction == high
