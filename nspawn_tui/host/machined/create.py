"""Creating containers on a real host: a mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`.

What the form offers (:meth:`MachinedCreate.create_support`: the
bootstrappers installed here, the Debian mirror of this host's apt sources,
every machine and image name taken) and the creation itself, run on this
machine by :class:`nspawn_tui.create.runner.LocalCreation`; cloning,
enabling and starting go through the host's own (checked) methods.  The
read-only check is done by ``Host.create_container``, not here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, cast

from nspawn_tui.host.base import Host, HostError
from nspawn_tui.nspawn import ETC_DIR

if TYPE_CHECKING:
    from nspawn_tui.create.model import CreatePlan, CreateSupport, Creation


class MachinedCreate:
    """Mixed into a :class:`Host` (whose listing and actions it uses through ``cast``);
    ``create_etc_dir`` is where .nspawn files go."""

    create_etc_dir: Path = ETC_DIR
    _images_at: float

    def _create_refusal(self) -> str | None:
        """Why containers cannot be created on this host at all (a remote host says)."""
        return None

    async def create_support(self) -> CreateSupport:
        # imported here: creating is rare, and the dashboard's start stays light
        from nspawn_tui.create.bootstrap import default_mirror, detect_bootstrappers
        from nspawn_tui.create.model import MACHINES_DIR, CreateSupport
        from nspawn_tui.create.repos import detect_foreign

        refusal = self._create_refusal()
        if refusal is not None:
            return CreateSupport((), refusal=refusal)
        self._images_at = float("-inf")  # names taken: ask machined now, not a cached list
        host = cast(Host, self)
        machines = await host.list_machines()
        images = await host.list_images()
        bootstrappers = await asyncio.to_thread(detect_bootstrappers)
        mirror = await asyncio.to_thread(default_mirror)
        foreign = await asyncio.to_thread(detect_foreign)
        taken = frozenset(m.name for m in machines) | frozenset(i.name for i in images)
        return CreateSupport(bootstrappers, mirror, MACHINES_DIR, taken, foreign=foreign)

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        refusal = self._create_refusal()
        if refusal is not None:
            raise HostError(refusal)
        from nspawn_tui.create.bootstrap import bootstrapper_for
        from nspawn_tui.create.checks import complete_plan, plan_problem
        from nspawn_tui.create.runner import HostOps, LocalCreation

        support = await self.create_support()
        plan = complete_plan(plan, support.foreign)  # Fedora's key for a mirror, from this host
        problem = await asyncio.to_thread(plan_problem, plan, support, etc_dir=self.create_etc_dir)
        if problem is not None:
            raise HostError(f"create {plan.name}: {problem}")
        tool = bootstrapper_for(plan.distro, support.bootstrappers)
        host = cast(Host, self)
        ops = HostOps(
            enable=host.enable,
            start=host.start,
            disable=host.disable,
            clone=host.clone_image,
            remove_image=self._remove_clone,
            etc_dir=self.create_etc_dir,
        )
        creation = LocalCreation(plan, ops, tool.path if tool is not None else "")
        creation.start()
        return creation

    async def _remove_clone(self, name: str) -> None:
        await cast(Host, self).remove_image(name)
        self._images_at = float("-inf")
