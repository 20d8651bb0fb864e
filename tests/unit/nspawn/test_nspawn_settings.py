""".nspawn settings files: byte-for-byte round trip, minimal edits, validation, writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.nspawn.settings import (
    LineKind,
    SettingsError,
    SettingsFile,
    backup_path,
    default_settings_path,
    find_settings,
    parse_checked,
    read_settings,
    write_atomic,
)

SAMPLE = (
    "# web container\n"
    "[Exec]\n"
    "Boot=yes\n"
    "  PrivateUsers = pick  \n"
    "; capabilities\n"
    "Capability=CAP_NET_ADMIN\n"
    "Parameters=--log-level=debug \\\n"
    "# a comment inside a continued line\n"
    "  --unit=multi-user.target\n"
    "\n"
    "[Files]\n"
    "Bind=/srv/www:/var/www\n"
    "Bind=/srv/logs\n"
    "BindReadOnly=/etc/ssl\n"
    "\n"
    "[Network]\n"
    "VirtualEthernet=yes\n"
    "Port=tcp:8080:80\n"
    "Port=443\n"
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_sample_round_trips_and_parses() -> None:
    settings = parse_checked(SAMPLE)
    assert settings.render() == SAMPLE
    assert settings.sections() == ["Exec", "Files", "Network"]
    assert settings.get("Exec", "PrivateUsers") == ["pick"]
    assert settings.get("Files", "Bind") == ["/srv/www:/var/www", "/srv/logs"]
    assert settings.get("Network", "Port") == ["tcp:8080:80", "443"]
    # continuation: backslash becomes a space, the comment block is skipped
    assert settings.get("Exec", "Parameters") == ["--log-level=debug --unit=multi-user.target"]


def test_crlf_and_missing_final_newline_are_kept() -> None:
    text = "[Exec]\r\nBoot=yes\r\n\r\n[Network]\r\nZone=web"
    settings = SettingsFile.parse(text)
    assert settings.render() == text
    settings.set("Exec", "Boot", "no")
    assert settings.render() == "[Exec]\r\nBoot=no\r\n\r\n[Network]\r\nZone=web"
    settings.add("Network", "Port", "80")
    assert settings.render() == "[Exec]\r\nBoot=no\r\n\r\n[Network]\r\nZone=web\r\nPort=80\r\n"


def test_undecodable_bytes_survive(tmp_path: Path) -> None:
    raw = b"# caf\xe9 latin-1 comment\n[Exec]\nBoot=yes\n"
    path = tmp_path / "web.nspawn"
    path.write_bytes(raw)
    text = read_settings(path)
    settings = SettingsFile.parse(text)
    write_atomic(path, settings.render())
    assert path.read_bytes() == raw


def test_set_replaces_only_that_line() -> None:
    settings = SettingsFile.parse(SAMPLE)
    settings.set("Exec", "PrivateUsers", "no")
    before, after = lines_of(SAMPLE), lines_of(settings.render())
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [3]
    assert after[3] == "PrivateUsers=no"


def test_set_of_repeated_key_keeps_one_value() -> None:
    settings = SettingsFile.parse(SAMPLE)
    settings.set("Files", "Bind", "/data")
    assert settings.get("Files", "Bind") == ["/data"]
    assert settings.render() == SAMPLE.replace(
        "Bind=/srv/www:/var/www\nBind=/srv/logs\n", "Bind=/data\n"
    )


def test_add_goes_after_the_last_of_its_key() -> None:
    settings = SettingsFile.parse(SAMPLE)
    settings.add("Files", "Bind", "/srv/cache")
    assert settings.render() == SAMPLE.replace(
        "Bind=/srv/logs\n", "Bind=/srv/logs\nBind=/srv/cache\n"
    )
    with pytest.raises(SettingsError, match="takes one value"):
        settings.add("Exec", "Boot", "no")


def test_new_key_goes_at_the_end_of_its_section() -> None:
    settings = SettingsFile.parse(SAMPLE)
    settings.set("Files", "ReadOnly", "yes")
    assert settings.render() == SAMPLE.replace(
        "BindReadOnly=/etc/ssl\n", "BindReadOnly=/etc/ssl\nReadOnly=yes\n"
    )


def test_new_section_is_appended() -> None:
    settings = SettingsFile.parse("[Exec]\nBoot=yes\n")
    settings.set("Network", "Bridge", "br0")
    assert settings.render() == "[Exec]\nBoot=yes\n\n[Network]\nBridge=br0\n"
    empty = SettingsFile.parse("")
    empty.add("Files", "Bind", "/a")
    assert empty.render() == "[Files]\nBind=/a\n"


def test_remove() -> None:
    settings = SettingsFile.parse(SAMPLE)
    settings.remove("Network", "Port", index=0)
    assert settings.get("Network", "Port") == ["443"]
    settings.remove("Files", "Bind")
    assert settings.get("Files", "Bind") == []
    assert settings.render() == (
        SAMPLE.replace("Port=tcp:8080:80\n", "")
        .replace("Bind=/srv/www:/var/www\n", "")
        .replace("Bind=/srv/logs\n", "")
    )
    with pytest.raises(SettingsError, match="has no Bind="):
        settings.remove("Files", "Bind")
    with pytest.raises(SettingsError):
        settings.remove("Network", "Port", index=3)


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("Resource", "MemoryMax", "1G", "unknown section [Resource]"),
        ("Exec", "MemoryMax", "1G", "systemctl set-property"),
        ("Exec", "CPUQuota", "20%", "not a .nspawn setting"),
        ("Exec", "Frobnicate", "1", "unknown key Frobnicate="),
        ("Exec", "Boot", "maybe", "takes a boolean"),
        ("Exec", "PrivateUsers", "lots", "pick"),
        ("Exec", "OOMScoreAdjust", "2000", "-1000 to 1000"),
        ("Exec", "WorkingDirectory", "relative", "absolute path"),
        ("Exec", "Environment", "1X=2", "VARIABLE=VALUE"),
        ("Exec", "CPUAffinity", "3-1", "CPU list"),
        ("Exec", "LinkJournal", "sometimes", "try-guest"),
        ("Files", "Volatile", "partly", "state"),
        ("Files", "Bind", "relative/path", "absolute"),
        ("Files", "PrivateUsersOwnership", "yes", "chown"),
        ("Network", "Port", "tcp:0", "1 to 65535"),
        ("Network", "Port", "sctp:80", "tcp:"),
        ("Network", "Zone", "a-very-long-zone-name", "12 characters"),
        ("Network", "Boot", "yes", "unknown key Boot= in [Network]"),
    ],
)
def test_edits_are_validated(section: str, key: str, value: str, fragment: str) -> None:
    settings = SettingsFile.parse(SAMPLE)
    with pytest.raises(SettingsError) as info:
        settings.set(section, key, value)
    assert fragment in str(info.value)
    assert settings.render() == SAMPLE  # nothing changed


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("Exec", "Boot", "on"),
        ("Exec", "PrivateUsers", "65536:65536"),
        ("Exec", "PrivateUsers", "identity"),
        ("Exec", "KillSignal", "SIGRTMIN+3"),
        ("Exec", "MachineID", "0123456789abcdef0123456789abcdef"),
        ("Exec", "LimitNOFILE", "1024:4096"),
        ("Exec", "ResolvConf", "bind-stub"),
        ("Exec", "Timezone", "symlink"),
        ("Files", "Volatile", "overlay"),
        ("Files", "BindReadOnly", "/a:/b:rbind"),
        ("Files", "TemporaryFileSystem", "/tmp:size=10M"),
        ("Network", "VirtualEthernetExtra", "vh0:vc0"),
        ("Network", "Port", "udp:53"),
        ("Network", "Bridge", "br0"),
    ],
)
def test_valid_edits_are_accepted(section: str, key: str, value: str) -> None:
    settings = SettingsFile.parse(SAMPLE)
    if key in ("BindReadOnly", "TemporaryFileSystem", "VirtualEthernetExtra", "Port"):
        settings.add(section, key, value)
        assert settings.get(section, key)[-1] == value
    else:
        settings.set(section, key, value)
        assert settings.get(section, key) == [value]
    assert settings.problems() == []


def test_problems_of_a_file_with_unknown_parts() -> None:
    text = (
        "Boot=yes\n"
        "[Exec]\n"
        "Boot=perhaps\n"
        "not an assignment\n"
        "[Resource]\n"
        "MemoryMax=1G\n"
        "CPUQuota=20%\n"
        "[Network]\n"
        "TasksMax=10\n"
    )
    settings = SettingsFile.parse(text)
    assert settings.render() == text  # kept, for viewing
    problems = settings.problems()
    assert [p.line for p in problems] == [1, 3, 4, 5, 9]
    assert "before any [Section]" in problems[0].message
    assert "boolean" in problems[1].message
    assert "neither [Section] nor Key=Value" in problems[2].message
    assert "unknown section [Resource]" in problems[3].message
    assert "resource limits are properties of the machine's unit" in problems[3].message
    assert "systemctl set-property" in problems[4].message
    with pytest.raises(SettingsError, match="line 5: unknown section"):
        parse_checked(text)


def test_insert_after_a_dangling_continuation() -> None:
    settings = SettingsFile.parse("[Files]\nBind=/a \\")
    settings.add("Files", "Bind", "/b")
    assert settings.render() == "[Files]\nBind=/a \\\n\nBind=/b\n"
    assert SettingsFile.parse(settings.render()).get("Files", "Bind") == ["/a", "/b"]


def test_line_numbers_count_continuations() -> None:
    text = "[Exec]\nParameters=a \\\n b\nBoot=what\n"
    problems = SettingsFile.parse(text).problems()
    assert [p.line for p in problems] == [4]


# ------------------------------------------------------------------ hypothesis

_words = st.text(alphabet="abcXYZ019 _-./:=%\t", max_size=12)
_newlines = st.sampled_from(["\n", "\r\n"])


@st.composite
def _raw_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["blank", "comment", "section", "entry", "continued", "junk"]))
    pad = draw(st.sampled_from(["", " ", "\t", "  "]))
    if kind == "blank":
        return pad
    if kind == "comment":
        return pad + draw(st.sampled_from(["#", ";"])) + draw(_words)
    if kind == "section":
        return "[" + draw(st.sampled_from(["Exec", "Files", "Network", "Resource"])) + "]"
    key = draw(st.sampled_from(["Boot", "Bind", "Port", "MemoryMax", "Zone", "Parameters"]))
    value = draw(_words)
    if kind == "entry":
        return f"{pad}{key}{pad}={pad}{value}"
    if kind == "continued":
        return f"{key}={value} \\"
    return pad + draw(st.text(alphabet="abc[]\\ é", max_size=8))


@st.composite
def settings_texts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(_raw_line(), max_size=25))
    mixed = draw(st.booleans())
    newline = draw(_newlines)
    endings = [draw(_newlines) if mixed else newline for _ in lines]
    text = "".join(line + end for line, end in zip(lines, endings, strict=True))
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text


@given(settings_texts())
def test_round_trip_byte_for_byte(text: str) -> None:
    settings = SettingsFile.parse(text)
    assert settings.render() == text
    for line in settings.lines:  # every line is classified, nothing lost
        assert isinstance(line.kind, LineKind)
    settings.problems()  # never raises


def _assert_only_inserted(
    settings: SettingsFile,
    before: list[tuple[int, str]],
    allowed_new: set[str],
    dangling: set[int],
) -> None:
    """Old lines keep their order and bytes; the new lines are among
    ``allowed_new`` (line ending stripped)."""
    old_ids = [line_id for line_id, _ in before]
    raws = dict(before)
    kept = [line for line in settings.lines if id(line) in raws]
    new = [line for line in settings.lines if id(line) not in raws]
    assert [id(line) for line in kept] == [i for i in old_ids if i in {id(k) for k in kept}]
    for line in kept:
        old = raws[id(line)]
        assert line.raw in (old, old + settings.newline, old + 2 * settings.newline)
        if line.raw != old:
            # only a final line changes: it gains its ending, or an empty line
            # that ends a dangling "Key=value \\" continuation
            assert not old.endswith("\n") or id(line) in dangling
    assert {line.raw.rstrip("\r\n") for line in new} <= allowed_new


@given(settings_texts(), st.sampled_from(["/a", "/b:/c"]))
def test_add_only_inserts(text: str, value: str) -> None:
    settings = SettingsFile.parse(text)
    before = [(id(line), line.raw) for line in settings.lines]
    dangling = {id(line) for line in settings.lines if line.dangling}
    count = len(settings.get("Files", "Bind"))
    settings.add("Files", "Bind", value)
    assert len([line for line in settings.lines if id(line) in dict(before)]) == len(before)
    _assert_only_inserted(settings, before, {f"Bind={value}", "", "[Files]"}, dangling)
    assert settings.get("Files", "Bind")[-1] == value
    assert len(settings.get("Files", "Bind")) == count + 1
    reparsed = SettingsFile.parse(settings.render())
    assert reparsed.render() == settings.render()
    assert reparsed.entries() == settings.entries()


@given(settings_texts())
def test_set_touches_only_its_lines(text: str) -> None:
    settings = SettingsFile.parse(text)
    before = [(id(line), line.raw) for line in settings.lines]
    dangling = {id(line) for line in settings.lines if line.dangling}
    zones = {
        id(line)
        for line in settings.lines
        if line.kind is LineKind.ENTRY and line.section == "Network" and line.key == "Zone"
    }
    settings.set("Network", "Zone", "web")
    assert settings.get("Network", "Zone") == ["web"]
    kept_ids = {id(line) for line in settings.lines}
    # every line but the Zone= lines of [Network] is still there
    assert {i for i, _ in before if i not in kept_ids} == zones
    _assert_only_inserted(settings, before, {"Zone=web", "", "[Network]"}, dangling)
    reparsed = SettingsFile.parse(settings.render())
    assert reparsed.entries() == settings.entries()


# ------------------------------------------------------------------ files


def test_find_settings_order(tmp_path: Path) -> None:
    etc, run, images = tmp_path / "etc", tmp_path / "run", tmp_path / "machines"
    for directory in (etc, run, images):
        directory.mkdir()
    image = images / "web"
    image.mkdir()
    assert find_settings("web", image, etc_dir=etc, run_dir=run) is None
    (images / "web.nspawn").write_text("[Exec]\n")
    assert find_settings("web", image, etc_dir=etc, run_dir=run) == images / "web.nspawn"
    assert find_settings("web", None, etc_dir=etc, run_dir=run) is None
    (run / "web.nspawn").write_text("[Exec]\n")
    assert find_settings("web", image, etc_dir=etc, run_dir=run) == run / "web.nspawn"
    (etc / "web.nspawn").write_text("[Exec]\n")
    assert find_settings("web", image, etc_dir=etc, run_dir=run) == etc / "web.nspawn"
    assert find_settings("db", image, etc_dir=etc, run_dir=run) is None
    assert default_settings_path("db", etc_dir=etc) == etc / "db.nspawn"


def test_write_atomic_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "web.nspawn"
    path.write_text("[Exec]\nBoot=yes\n")
    os.chmod(path, 0o640)
    backup = write_atomic(path, "[Exec]\nBoot=no\n")
    assert backup == backup_path(path) == tmp_path / "web.nspawn.bak"
    assert path.read_text() == "[Exec]\nBoot=no\n"
    assert backup.read_text() == "[Exec]\nBoot=yes\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # no temporary files left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web.nspawn", "web.nspawn.bak"]
    # the next write replaces the backup with the then-current version
    write_atomic(path, "[Exec]\nBoot=yes\n")
    assert backup.read_text() == "[Exec]\nBoot=no\n"


def test_write_atomic_new_file(tmp_path: Path) -> None:
    path = tmp_path / "nspawn" / "db.nspawn"
    assert write_atomic(path, "[Network]\nZone=db\n") is None
    assert path.read_text() == "[Network]\nZone=db\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_atomic_failure_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SettingsError, match="cannot write"):
        write_atomic(blocker / "web.nspawn", "[Exec]\n")


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        read_settings(tmp_path / "nope.nspawn")
