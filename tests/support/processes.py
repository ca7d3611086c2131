"""Which processes are still alive: how tests check that nothing is left running."""

from __future__ import annotations

import os


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes whose command line or environment mentions ``text`` (zombies, which
    have exited and only wait to be reaped, are left out)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ", 1)[1].startswith("Z"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                line = cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/environ", "rb") as environ:
                env = environ.read().decode("utf-8", "replace")
        except OSError:
            continue
        if text in line or text in env:
            found.append(line)
    return found


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, theirs, ...): what dies with a machine besides ``pid`` itself."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found
