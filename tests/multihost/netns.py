"""Linux network namespaces joined by a bridge: the rig's "hosts" and their network.

Every host is a namespace with one veth (``eth0``) plugged into a bridge that lives in a
namespace of its own (the "switch"), so nothing of the rig touches the machine's own
network namespace: no address, route or link is added there. Addresses come from a
private /24 that exists only inside the rig. Needs root (``CAP_SYS_ADMIN``) and ``ip``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass, field


class NamespacesUnavailable(Exception):
    """This machine (or user) cannot create network namespaces."""


def why_namespaces_unavailable() -> str | None:
    """None when the rig can run here, else the reason (for ``pytest.skip``)."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if shutil.which("ip") is None or shutil.which("bridge") is None:
        return "the `ip` and `bridge` tools (iproute2) are not installed"
    probe = f"jdprobe{uuid.uuid4().hex[:6]}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return f"cannot create a network namespace: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise NamespacesUnavailable(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def bridge(*args: str) -> None:
    done = subprocess.run(["bridge", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise NamespacesUnavailable(f"bridge {' '.join(args)}: {done.stderr.strip()}")


@dataclass
class Host:
    name: str  # short role name: pg, s3, w1, ...
    netns: str  # the namespace's name
    address: str

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this host's network namespace."""
        return ["ip", "netns", "exec", self.netns, *argv]

    def pids(self) -> list[int]:
        done = ip("netns", "pids", self.netns, check=False)
        return [int(p) for p in done.stdout.split()]

    def kill_all(self) -> int:
        """SIGKILL every process of the host at once (a lost machine); returns how many."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)


@dataclass
class Network:
    """A bridge in a switch namespace and hosts on ``10.<a>.<b>.0/24``."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    subnet: str = "10.213.77"
    hosts: dict[str, Host] = field(default_factory=dict)
    _next: int = 2

    @property
    def switch(self) -> str:
        return f"jd{self.tag}-sw"

    def up(self) -> Network:
        ip("netns", "add", self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        ip("-n", self.switch, "link", "set", "lo", "up")
        return self

    def add_host(self, name: str) -> Host:
        host = Host(name, f"jd{self.tag}-{name}", f"{self.subnet}.{self._next}")
        self._next += 1
        ip("netns", "add", host.netns)
        port = f"p{name}"  # the switch side of the cable; names are per namespace
        ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0",
           "netns", host.netns)
        ip("-n", self.switch, "link", "set", port, "master", "br0")
        ip("-n", self.switch, "link", "set", port, "up")
        ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
        ip("-n", host.netns, "link", "set", "eth0", "up")
        ip("-n", host.netns, "link", "set", "lo", "up")
        self.hosts[name] = host
        return host

    def partition(self, a: Host, b: Host) -> None:
        """Cut the link between two hosts, as a failed switch path does: both bridge ports
        become "isolated" (isolated ports cannot reach each other, everyone else still
        can), so frames are dropped silently and open TCP connections hang, not reset.
        One partition at a time: a third isolated port would be cut off from both."""
        for host in (a, b):
            bridge("-n", self.switch, "link", "set", "dev", f"p{host.name}", "isolated", "on")

    def heal(self, a: Host, b: Host) -> None:
        for host in (a, b):
            bridge("-n", self.switch, "link", "set", "dev", f"p{host.name}", "isolated", "off")

    def down(self) -> None:
        """Kill what runs in the hosts and delete every namespace this rig created."""
        for host in self.hosts.values():
            host.kill_all()
        for host in self.hosts.values():
            ip("netns", "delete", host.netns, check=False)
        ip("netns", "delete", self.switch, check=False)
        self.hosts.clear()
