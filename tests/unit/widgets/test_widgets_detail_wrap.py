"""The detail panel's line wrapping: paths break after a '/', not mid-word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.safe import cell_width, clean
from nspawn_tui.widgets.detail_panel import wrap_line

CGROUP = "Cgroup:    /machine.slice/systemd-nspawn@x.service"


def test_a_line_that_fits_is_kept() -> None:
    assert wrap_line(CGROUP, len(CGROUP)) == [CGROUP]
    assert wrap_line(CGROUP, 0) == [CGROUP]  # not laid out yet


def test_path_breaks_after_a_separator_under_its_label() -> None:
    assert wrap_line(CGROUP, 40) == [
        "Cgroup:    /machine.slice/",
        "           systemd-nspawn@x.service",
    ]
    root = "Root:      /var/lib/machines/a-rather-long-machine-name"
    assert wrap_line(root, 40) == [
        "Root:      /var/lib/machines/",
        "           a-rather-long-machine-name",
    ]


def test_words_break_at_spaces_and_continue_under_the_value() -> None:
    line = "Memory:    494M of 512M  high infinity  peak 500M  OOM kills 3"
    assert wrap_line(line, 50) == [
        "Memory:    494M of 512M  high infinity  peak 500M",
        "           OOM kills 3",
    ]


def test_a_field_moves_whole_to_the_next_line() -> None:
    line = "Memory:    487M of 512M  high ∞  peak 509M  OOM kills 3 (1 since nspawn-tui started)"
    assert wrap_line(line, 58) == [
        "Memory:    487M of 512M  high ∞  peak 509M",
        "           OOM kills 3 (1 since nspawn-tui started)",
    ]


def test_a_path_that_fits_under_the_value_is_not_broken() -> None:
    line = "Image:     raw at /var/lib/machines/x.raw"
    assert wrap_line(line, 36) == ["Image:     raw at", "           /var/lib/machines/x.raw"]
    assert wrap_line(line, 30) == ["Image:     raw at /var/lib/", "           machines/x.raw"]


def test_a_path_part_that_fits_only_with_less_indent_is_not_cut() -> None:
    line = "Cgroup:    /machine.slice/systemd-nspawn@monitoring.service"
    assert wrap_line(line, 40) == [
        "Cgroup:    /machine.slice/",
        "       systemd-nspawn@monitoring.service",
    ]


def test_a_word_longer_than_the_line_is_folded() -> None:
    assert wrap_line("Unit:      " + "x" * 25, 20) == ["Unit:", "xxxxxxxxxxxxxxxxxxxx", "xxxxx"]


def test_double_width_characters_are_counted_as_two_cells() -> None:
    lines = wrap_line("Root:      /var/lib/machines/漢字漢字漢字", 24)
    assert lines == ["Root:      /var/lib/", "           machines/", "           漢字漢字漢字"]
    assert all(cell_width(line) <= 24 for line in lines)


@given(
    st.text(alphabet=st.sampled_from("ab/ :.-漢\u0301é"), max_size=80),
    st.integers(min_value=2, max_value=60),
)
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: int) -> None:
    line = clean(text)
    lines = wrap_line(line, width)
    assert all(cell_width(part) <= width for part in lines)
    # nothing is lost or added but spaces at the breaks
    assert "".join(lines).replace(" ", "") == line.replace(" ", "")
