"""Hostile text in every text field of the create form, as test_inputs_fuzz_screens.py does.

A case is one text typed (short printable texts key by key, others pasted)
into one field of the form, replacing what was there.  After each case the
app must be running and repaint without error, the field must hold what was
typed, cleaned, no password typed may be drawn, and the line under the
field must say the problem the form's logic finds (or nothing); the name's
problem must also be machined's rules on the names taken (an oracle of this
file).  The last text of each example is submitted (ctrl+s): with a problem
the form stays with every problem shown in red and nothing sent; without
one the plan goes to the host, which refuses it here (so the form stays).

Cases are counted in a FuzzCount of this module, added to the session's one
(see test_inputs_fuzz_screens.py for why).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from create_kit import SUPPORT, CreateHost, fake_hash
from fuzz_kit import HOSTILE_TEXT, DialogApp, Driver, FuzzCount, driver_fixture, reopen, typed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from screen_text import screen_text
from textual.widgets import Input, Static

from nspawn_tui.create.model import CreatePlan, Creation
from nspawn_tui.host.base import HostError
from nspawn_tui.images.names import name_problem
from nspawn_tui.safe import clean
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.view.create_form import problems

pytestmark = pytest.mark.filterwarnings("error")

SCALE = float(os.environ.get("NSPAWN_TUI_FUZZ_SCALE", "1"))
CASES, PER_EXAMPLE = 400, 4
FIELDS = (
    "name",
    "release",
    "mirror",
    "packages",
    "directory",
    "hostname",
    "password",
    "password_again",
    "ssh_key",
    "timezone",
    "locale",
    "ports",
    "binds",
    "binds_ro",
)
#: texts that pass in some field, so both outcomes are checked
PASSING = st.sampled_from(
    [
        "web1",
        "web",
        "bookworm",
        "http://deb.debian.org/debian",
        "vim, curl",
        "/var/lib/machines",
        "Europe/Berlin",
        "C.UTF-8",
        "tcp:8080:80, 2222:22",
        "/etc",
        "/etc:/host-etc",
        "ssh-ed25519 AAAA me",
        "s3cret",
    ]
)
TEXTS = st.one_of(HOSTILE_TEXT, PASSING, st.tuples(PASSING, HOSTILE_TEXT).map("".join))


class RefusingHost(CreateHost):
    """Takes the plan, then refuses: the form stays for the next case."""

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        self.plans.append(plan)
        raise HostError("not created in this test")


@pytest.fixture(scope="module")
def form_driver() -> Iterator[Driver]:
    host = RefusingHost()
    yield from driver_fixture(
        lambda: DialogApp(lambda: CreateForm(host, SUPPORT, hasher=fake_hash)), size=(100, 30)
    )


@pytest.fixture(scope="session")
def create_count(fuzz_count: FuzzCount) -> Iterator[FuzzCount]:
    count = FuzzCount()
    yield count
    fuzz_count.typed.update(count.typed)
    fuzz_count.submitted.update(count.submitted)


def expected_name_problem(name: str) -> str | None:
    if name_problem(name) is None and name in SUPPORT.existing:
        return f"a machine or image called {name} exists already"
    return name_problem(name)


def said(form: CreateForm, key: str) -> str:
    widget = form.query_one(f"#m-{key}", Static)
    return str(widget.render()) if widget.display else ""


@settings(
    max_examples=max(1, round(CASES * SCALE) // PER_EXAMPLE),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=st.lists(st.tuples(st.sampled_from(FIELDS), TEXTS), min_size=PER_EXAMPLE,
                      max_size=PER_EXAMPLE))  # fmt: skip
def test_fuzz_create_form(
    form_driver: Driver, create_count: FuzzCount, cases: list[tuple[str, str]]
) -> None:
    form_driver.revive()
    form: Any = reopen(form_driver, CreateForm)
    assert isinstance(form, CreateForm)
    host = form.host
    assert isinstance(host, RefusingHost)
    baseline = form_driver.call(screen_text, form_driver.app)  # before anything is typed
    for i, (key, text) in enumerate(cases):
        last = i == len(cases) - 1
        box = form.query_one(f"#f-{key}", Input)
        sent = len(host.plans)
        form_driver.type_text(box, text, submit=False)
        if last:
            form_driver.press("ctrl+s")
        create_count.typed[f"create {key}"] += 1
        form_driver.check()
        assert box.value == clean(typed(text))
        values = form.read_values()
        expected = problems(values, SUPPORT)
        if key == "name":
            assert expected.get("name") == expected_name_problem(values.name.strip())
        shown = form_driver.call(said, form, key)
        if form.tried or key in form._touched:
            assert shown == expected.get(key, "")
        else:
            assert shown in ("", expected.get(key, ""))
        drawn = form_driver.call(screen_text, form_driver.app)
        # a secret must not be drawn; text drawn anyway (a release "bookworm",
        # another field's value, a label) cannot tell, so it is not a secret here
        others = baseline + " ".join(
            str(value) for name, value in vars(values).items() if "password" not in name
        )
        for secret in (values.password, values.password_again):
            if len(secret.strip()) >= 6 and secret.isalnum() and secret not in others:
                assert secret not in drawn
        if last:
            create_count.submitted[f"create {key}"] += 1
            assert form_driver.app.screen is form  # refused inline, or by the host
            assert form.tried
            if expected:
                assert len(host.plans) == sent
                for field, problem in expected.items():
                    if form.query(f"#m-{field}"):
                        assert form_driver.call(said, form, field) == problem
            else:
                form_driver.sleep(0.05)  # the hash and the call run in a worker
                assert len(host.plans) == sent + 1
                assert values.password not in repr(host.plans[-1]) or not values.password
