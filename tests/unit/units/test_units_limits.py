"""systemd resource-control value syntax: parse, D-Bus values, format, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.units.limits import (
    DBUS_PROPERTY,
    LIMIT_FIELDS,
    UINT32_MAX,
    UINT64_MAX,
    LimitError,
    format_limit,
    format_size,
    mask_to_cpus,
    parse_limit,
    parse_size,
    systemctl_command,
    validate_all,
)

SIZE_FIELDS = ("MemoryMax", "MemoryHigh", "MemorySwapMax")


def test_field_order() -> None:
    assert [f.name for f in LIMIT_FIELDS] == [
        "CPUQuota",
        "CPUWeight",
        "MemoryMax",
        "MemoryHigh",
        "MemorySwapMax",
        "TasksMax",
        "IOWeight",
        "AllowedCPUs",
    ]
    assert all(f.label and f.help for f in LIMIT_FIELDS)
    assert set(DBUS_PROPERTY) == {f.name for f in LIMIT_FIELDS}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("CPUQuota", "20%", ("CPUQuotaPerSecUSec", "t", 200_000)),
        ("CPUQuota", "150%", ("CPUQuotaPerSecUSec", "t", 1_500_000)),
        ("CPUQuota", "12.5%", ("CPUQuotaPerSecUSec", "t", 125_000)),
        ("CPUQuota", "", ("CPUQuotaPerSecUSec", "t", UINT64_MAX)),
        ("CPUWeight", "100", ("CPUWeight", "t", 100)),
        ("CPUWeight", "idle", ("CPUWeight", "t", 0)),
        ("CPUWeight", "", ("CPUWeight", "t", UINT64_MAX)),
        ("MemoryMax", "300M", ("MemoryMax", "t", 314_572_800)),
        ("MemoryMax", "1G", ("MemoryMax", "t", 1024**3)),
        ("MemoryMax", "1.5G", ("MemoryMax", "t", 1536 * 1024**2)),
        ("MemoryMax", "4096", ("MemoryMax", "t", 4096)),
        ("MemoryMax", "2T", ("MemoryMax", "t", 2 * 1024**4)),
        ("MemoryMax", "infinity", ("MemoryMax", "t", UINT64_MAX)),
        ("MemoryMax", "", ("MemoryMax", "t", UINT64_MAX)),
        ("MemoryMax", "50%", ("MemoryMaxScale", "u", 2_147_483_648)),
        ("MemoryMax", "100%", ("MemoryMaxScale", "u", UINT32_MAX)),
        ("MemoryHigh", " 256K ", ("MemoryHigh", "t", 262_144)),
        ("MemorySwapMax", "0", ("MemorySwapMax", "t", 0)),
        ("TasksMax", "512", ("TasksMax", "t", 512)),
        ("TasksMax", "infinity", ("TasksMax", "t", UINT64_MAX)),
        ("TasksMax", "10%", ("TasksMaxScale", "u", 429_496_730)),
        ("IOWeight", "10000", ("IOWeight", "t", 10000)),
        ("IOWeight", "", ("IOWeight", "t", UINT64_MAX)),
        ("AllowedCPUs", "0-1,3", ("AllowedCPUs", "ay", bytes([0b1011]))),
        ("AllowedCPUs", "0 8", ("AllowedCPUs", "ay", bytes([1, 1]))),
        ("AllowedCPUs", "", ("AllowedCPUs", "ay", b"")),
    ],
)
def test_dbus_values(name: str, text: str, expected: tuple[str, str, object]) -> None:
    assert parse_limit(name, text).to_dbus() == expected


@pytest.mark.parametrize(
    ("name", "text", "systemctl"),
    [
        ("MemoryMax", "300M", "MemoryMax=300M"),
        ("MemoryMax", "1.5G", "MemoryMax=1536M"),
        ("MemoryMax", "", "MemoryMax="),
        ("MemoryMax", "infinity", "MemoryMax=infinity"),
        ("CPUQuota", "20.50%", "CPUQuota=20.5%"),
        ("CPUQuota", "infinity", "CPUQuota="),  # systemd itself only takes empty
        ("AllowedCPUs", "3,0,1,2 6", "AllowedCPUs=0-3,6"),
        ("TasksMax", "007", "TasksMax=7"),
    ],
)
def test_systemctl_text(name: str, text: str, systemctl: str) -> None:
    assert parse_limit(name, text).to_systemctl() == systemctl


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("MemoryMax", "12X", "MemoryMax: '12X' is not a size; use a number with K, M, G or T"),
        ("MemoryMax", "300m", "not a size"),  # systemd's suffixes are upper case
        ("MemoryMax", "-1M", "not a size"),
        ("MemoryMax", "0", "too small"),
        ("MemoryMax", "0%", "too small"),
        ("MemoryMax", "101%", "more than 100%"),
        ("MemoryMax", "16E", "too large"),
        ("CPUQuota", "20", "not a percentage"),
        ("CPUQuota", "0%", "too small"),
        ("CPUQuota", "1.234%", "not a percentage"),
        ("CPUWeight", "0", "out of range"),
        ("CPUWeight", "10001", "out of range"),
        ("CPUWeight", "heavy", "not a weight"),
        ("IOWeight", "idle", "not a weight"),
        ("TasksMax", "0", "too small"),
        ("TasksMax", "1K", "not a number of tasks"),
        ("AllowedCPUs", "3-1", "backwards range"),
        ("AllowedCPUs", "a-b", "not a CPU index"),
        ("AllowedCPUs", "9000", "out of range"),
        ("Nope", "1", "not a limit"),
    ],
)
def test_rejects_with_a_message(name: str, text: str, fragment: str) -> None:
    with pytest.raises(LimitError) as info:
        parse_limit(name, text)
    assert fragment in info.value.message
    assert info.value.message.startswith(f"{name}:")


@pytest.mark.parametrize(
    ("name", "dbus_value", "text"),
    [
        ("MemoryMax", 314_572_800, "300M"),
        ("MemoryMax", UINT64_MAX, "infinity"),
        ("MemoryMax", 1000, "1000"),
        ("MemoryHigh", 1536 * 1024**2, "1536M"),
        ("CPUQuota", 200_000, "20%"),
        ("CPUQuota", 1_250_000, "125%"),
        ("CPUQuota", UINT64_MAX, "infinity"),
        ("CPUWeight", UINT64_MAX, ""),
        ("CPUWeight", 0, "idle"),
        ("IOWeight", 500, "500"),
        ("TasksMax", 4915, "4915"),
        ("TasksMax", UINT64_MAX, "infinity"),
        ("AllowedCPUs", bytes([0b1111, 0b1]), "0-3,8"),
        ("AllowedCPUs", [0b1011], "0-1,3"),
        ("AllowedCPUs", b"", ""),
    ],
)
def test_format_limit(name: str, dbus_value: object, text: str) -> None:
    assert format_limit(name, dbus_value) == text


def test_format_limit_rejects_wrong_types() -> None:
    with pytest.raises(LimitError):
        format_limit("MemoryMax", "300M")
    with pytest.raises(LimitError):
        format_limit("AllowedCPUs", 3)


def test_validate_all_splits_values_and_errors() -> None:
    parsed, errors = validate_all({"MemoryMax": "300M", "CPUQuota": "lots", "TasksMax": ""})
    assert set(parsed) == {"MemoryMax", "TasksMax"}
    assert parsed["MemoryMax"].value == 314_572_800
    assert set(errors) == {"CPUQuota"}
    assert "percentage" in errors["CPUQuota"]


def test_systemctl_command() -> None:
    values = {"MemoryMax": "300M", "CPUQuota": "20%"}
    assert (
        systemctl_command("web", values, runtime=True)
        == "systemctl set-property --runtime systemd-nspawn@web.service CPUQuota=20% MemoryMax=300M"
    )
    assert (
        systemctl_command("systemd-nspawn@db.service", {"AllowedCPUs": "0 2"}, runtime=False)
        == "systemctl set-property systemd-nspawn@db.service AllowedCPUs=0,2"
    )
    # an invalid value is shown as typed, quoted for the shell
    assert systemctl_command("web", {"MemoryMax": "a b"}, True).endswith("'MemoryMax=a b'")


# ------------------------------------------------------------------ hypothesis

sizes = st.integers(min_value=1, max_value=UINT64_MAX - 1)


@given(sizes, st.sampled_from(SIZE_FIELDS))
def test_size_round_trip(size: int, name: str) -> None:
    text = format_limit(name, size)
    value = parse_limit(name, text)
    assert value.to_dbus() == (name, "t", size)
    assert value.text == text


@given(st.integers(min_value=1, max_value=2**23), st.sampled_from(["", "K", "M", "G", "T"]))
def test_suffixed_sizes(number: int, suffix: str) -> None:
    multiplier = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}[suffix]
    value = parse_limit("MemoryMax", f"{number}{suffix}")
    assert value.value == number * multiplier
    assert format_limit("MemoryMax", value.value) == format_size(number * multiplier)


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_quota_round_trip(permyriad: int) -> None:
    usec = permyriad * 100
    text = format_limit("CPUQuota", usec)
    assert text.endswith("%")
    assert parse_limit("CPUQuota", text).value == usec


@given(st.integers(min_value=1, max_value=10000), st.sampled_from(["MemoryMax", "TasksMax"]))
def test_percentage_round_trip(permyriad: int, name: str) -> None:
    whole, frac = divmod(permyriad, 100)
    value = parse_limit(name, f"{whole}.{frac:02d}%")
    assert value.signature == "u"
    assert value.prop == f"{name}Scale"
    # the scaled value is within rounding of permyriad / 10000 of UINT32_MAX
    assert abs(value.value * 10000 - permyriad * UINT32_MAX) <= 5000  # type: ignore[operator]
    again = parse_limit(name, value.text)
    assert again == value


@given(st.frozensets(st.integers(min_value=0, max_value=8191), max_size=40))
def test_cpu_list_round_trip(cpus: frozenset[int]) -> None:
    value = parse_limit("AllowedCPUs", ",".join(str(c) for c in sorted(cpus)))
    assert isinstance(value.value, bytes)
    assert mask_to_cpus(value.value) == cpus
    text = format_limit("AllowedCPUs", value.value)
    assert parse_limit("AllowedCPUs", text) == value


@given(st.sampled_from([f.name for f in LIMIT_FIELDS]), st.text(max_size=30))
def test_garbage_raises_only_limit_error(name: str, text: str) -> None:
    try:
        value = parse_limit(name, text)
    except LimitError as error:
        assert error.message.startswith(f"{name}:")
        return
    # whatever was accepted is canonical and re-parses to the same thing
    assert parse_limit(name, value.text) == value
    assert value.to_systemctl().startswith(f"{name}=")


@pytest.mark.parametrize("text", ["١٠G", "1\u3000G", "１G", "1.٥G"])
def test_only_ascii_digits_and_spaces_are_figures(text: str) -> None:
    """systemd reads ASCII digits only: other Unicode digits or spaces are refused, not read."""
    assert parse_size(text) is None
    with pytest.raises(LimitError):
        parse_limit("MemoryMax", text)
