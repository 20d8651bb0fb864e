"""The network sweep on 10, 100 and 1,000 real veth links, next to ``ip -s -j link``.

Needs root and iproute2 (skipped otherwise).  A throwaway "host" network
namespace gets N veth links, each with its peer in a namespace of its own
(one per simulated container), so matching by peer namespace id is as real
as on a host with N ``--network-veth`` containers.  The simulated machines'
leaders are entries of a fake ``/proc`` whose ``PID/ns/net`` point at those
namespaces.  Everything is measured from a thread inside the host namespace:

- ``net_sweep``: one :meth:`NetworkReader.sweep` as a poll does it (drain the
  link notifications, one ``RTM_GETSTATS`` dump, match, rates), after a
  first sweep that resolved the namespaces and dumped the link table;
- ``net_table``: the same with the whole link table dumped again (the first
  sweep, or after link notifications were lost; a link change otherwise
  costs the parsing of that one link's notification);
- ``ip``: ``ip -s -j link`` (fork, exec, the same dump, JSON out), same run;
- at 1,000: the metrics sweep of 1,000 synthetic cgroup trees alone and
  followed by the network sweep (today's sweep vs the sweep with network);
- the detail of one machine (pyroute2: its host links read again by index,
  and a socket made inside its namespace dumping links and addresses);
- pyroute2 for reference at 1,000: its import, ``IPRoute.get_links()`` of the
  same table, and its ``ifinfmsg`` decoding the messages of one table dump
  next to the hand-made decoder on the same messages (why the table and the
  stats stay hand-made).

Medians of REPEATS runs, milliseconds.  The namespaces are always removed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import print_table
from nspawn_tui.host.base import Machine
from nspawn_tui.net.namespace import setns
from nspawn_tui.net.reader import NetworkReader

SIZES = (10, 100, 1000)
REPEATS = int(os.environ.get("BENCH_NET_REPEATS", "15"))
PREFIX = "ntlbench"
HOST_NS = f"{PREFIX}-host"
NETNS_DIR = Path("/run/netns")


def _median_ms(func: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        func()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)


def _batch(lines: list[str], netns: str | None = None) -> None:
    if not lines:
        return
    argv = ["ip", *(["-n", netns] if netns else []), "-batch", "-"]
    subprocess.run(argv, input="\n".join(lines) + "\n", text=True, check=True, capture_output=True)


def _cleanup() -> None:
    names = [p.name for p in NETNS_DIR.glob(f"{PREFIX}-*")] if NETNS_DIR.is_dir() else []
    _batch([f"netns del {name}" for name in names])


def _grow(have: int, want: int, proc: Path) -> None:
    """Containers have..want-1: a namespace each, a veth into it, a fake leader."""
    _batch([f"netns add {PREFIX}-c{k}" for k in range(have, want)])
    _batch(
        [f"link add ve-ct{k} type veth peer name host0 netns {PREFIX}-c{k}" for k in range(have, want)],
        HOST_NS,
    )  # fmt: skip
    for k in range(have, want):
        (proc / str(k + 1000) / "ns").mkdir(parents=True)
        (proc / str(k + 1000) / "ns" / "net").symlink_to(NETNS_DIR / f"{PREFIX}-c{k}")


def _in_host_namespace(work: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run ``work`` in a thread that entered the host namespace (and no other thread)."""
    result: list[dict[str, float]] = []
    failure: list[BaseException] = []

    def target() -> None:
        fd = os.open(NETNS_DIR / HOST_NS, os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(fd)
        finally:
            os.close(fd)
        try:
            result.append(work())
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            failure.append(error)

    thread = threading.Thread(target=target, name="bench-netns")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def _measure(count: int, proc: Path, cgroup_sweep: Callable[[], object] | None) -> dict[str, float]:
    machines = [Machine(f"ct-{k}", leader=k + 1000) for k in range(count)]
    reader = NetworkReader(proc=proc)
    try:
        first = reader.sweep(machines)
        modes = {figures.mode for figures in first.values()}
        assert modes == {"veth"}, f"matching failed: {modes}"

        def sweep() -> None:
            reader.sweep(machines)

        def with_table() -> None:
            reader._dirty = True  # as after lost notifications
            reader.sweep(machines)

        def ip_link() -> None:
            subprocess.run(["ip", "-s", "-j", "link"], check=True, capture_output=True)

        links = subprocess.run(["ip", "-j", "link"], check=True, capture_output=True).stdout
        assert links.count(b'"ifname"') == count + 1, "ip does not see the bench namespace"
        out: dict[str, list[float]] = {"sweep": [], "ip": [], "table": []}
        for _ in range(3):  # interleaved so that both see the same machine state
            out["sweep"].append(_median_ms(sweep))
            out["ip"].append(_median_ms(ip_link))
            out["table"].append(_median_ms(with_table))
        figures = {key: statistics.median(values) for key, values in out.items()}
        detail = reader.details(machines[0])
        assert detail.reason == "" and detail.interfaces, detail.reason
        figures["details"] = _median_ms(lambda: reader.details(machines[0]))
        if cgroup_sweep is not None:
            figures["cgroups"] = _median_ms(cgroup_sweep)
            figures["cgroups_and_net"] = _median_ms(lambda: (cgroup_sweep(), sweep()))
        if count == SIZES[-1]:
            figures.update(_pyroute2_reference())
        return figures
    finally:
        reader.close()


def _pyroute2_reference() -> dict[str, float]:
    """What pyroute2 would cost for the link table: its import, ``IPRoute.get_links()``,
    and its message class decoding the very messages the hand-made decoder reads."""
    from nspawn_tui.net import netlink as nl
    from nspawn_tui.net.links import parse_link

    with nl.RouteSocket() as sock:
        messages, _interrupted = sock.dump(nl.RTM_GETLINK, nl.link_dump_request())
    from pyroute2 import IPRoute
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    # the detail has imported it in this process already: the import, in a fresh one
    code = "import time; t = time.perf_counter(); import pyroute2; print(time.perf_counter() - t)"
    took = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    figures = {"pyroute2_import": float(took.stdout) * 1000}

    def decode() -> None:
        for message in messages:
            msg = ifinfmsg(message)
            msg.decode()
            msg.get("ifname"), msg.get(("linkinfo", "kind")), msg.get("master")
            msg.get("link_netnsid"), msg.get("link"), msg.get("operstate")

    figures["pyroute2_decode"] = _median_ms(decode, 5)
    figures["own_decode"] = _median_ms(lambda: [parse_link(m) for m in messages], 5)
    with IPRoute(groups=0) as ipr:
        figures["pyroute2_links"] = _median_ms(lambda: list(ipr.get_links()), 3)
    return figures


def _cgroup_sweep(root: Path, count: int) -> Callable[[], object]:
    from benchmarks.bench_sweep import build_tree
    from nspawn_tui.cgroups import CgroupReader, RateTracker

    all_paths, _files = build_tree(root, count, "v1")
    reader = CgroupReader(max_fds=max(4096, 16 * count))
    rates = RateTracker()
    targets = [(f"ct-{k}", paths) for k, paths in enumerate(all_paths)]

    def sweep() -> None:
        now = time.monotonic()
        for name, paths in targets:
            rates.update(name, reader.read(paths), now)

    sweep()
    return sweep


def run() -> dict[str, float]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("\n== net_sweep: skipped (needs root and iproute2)")
        return {}
    figures: dict[str, float] = {}
    rows: list[tuple[str, str]] = []
    _cleanup()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-net-") as tmp:
            proc = Path(tmp) / "proc"
            (proc / "self" / "ns").mkdir(parents=True)
            (proc / "self" / "ns" / "net").symlink_to("/proc/self/ns/net")
            (proc / "thread-self").symlink_to("/proc/thread-self")
            _batch([f"netns add {HOST_NS}"])
            have = 0
            for count in SIZES:
                _grow(have, count, proc)
                have = count
                cgroups = _cgroup_sweep(Path(tmp) / "cg", count) if count == SIZES[-1] else None
                found: dict[str, Any] = _in_host_namespace(
                    lambda n=count, c=cgroups: _measure(n, proc, c)  # type: ignore[misc]
                )
                for key, value in found.items():
                    figures[f"net_{key}_ms_{count}"] = round(value, 3)
                figures[f"net_sweep_ip_ratio_{count}"] = round(found["sweep"] / found["ip"], 3)
                rows.append(
                    (
                        f"{count:>5} veth containers",
                        f"sweep {found['sweep']:6.2f} ms  with a full link dump "
                        f"{found['table']:6.2f} ms  ip -s -j link {found['ip']:6.2f} ms  "
                        f"ratio {found['sweep'] / found['ip']:4.2f}  "
                        f"detail {found['details']:5.2f} ms",
                    )
                )
                if "cgroups" in found:
                    rows.append(
                        (
                            f"{count:>5} containers, whole sweep",
                            f"cgroups only {found['cgroups']:6.2f} ms  "
                            f"cgroups + network {found['cgroups_and_net']:6.2f} ms",
                        )
                    )
                if "pyroute2_links" in found:
                    rows.append(
                        (
                            f"{count:>5} links, pyroute2 (reference)",
                            f"IPRoute.get_links() {found['pyroute2_links']:6.1f} ms, "
                            f"ifinfmsg decode of the dump {found['pyroute2_decode']:6.1f} ms "
                            f"(hand-made {found['own_decode']:5.1f} ms), "
                            f"import {found['pyroute2_import']:5.1f} ms",
                        )
                    )
    finally:
        _cleanup()
    print_table("network sweep (NetworkReader) vs ip -s -j link, same run", rows)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
