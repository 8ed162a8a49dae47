"""Run a command; report its wall time and memory: ``_launch.py OUT SAMPLE ARGV...``.

Started as a small, isolated interpreter (``python -I -S``) so that the command's
``ru_maxrss`` is its own: Linux keeps the high-water mark across ``execve``, so a command
spawned straight from a big process would inherit that process's peak. ``os.wait4`` gives
the largest of the command and the children it reaped (the kernel takes the max, not the sum).

Hourbridge may validate in worker processes, so with ``SAMPLE`` > 0 (seconds) the whole
process tree is also sampled from ``/proc`` every SAMPLE seconds: the peak of the summed RSS
and of the summed PSS (shared pages divided among the processes that share them) over the
tree. Writes JSON to OUT; stdout and stderr are the command's. Standard library only.
"""

import json
import os
import sys
import time


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _memory(pids: list[int]) -> tuple[int, int, int]:
    """(RSS KiB, PSS KiB, live processes) summed over ``pids``."""
    rss = pss = live = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                seen = False
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                        seen = True
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
                live += seen
        except (OSError, ValueError):
            continue
    return rss, pss, live


def main() -> None:
    out, sample, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    peak_rss = peak_pss = most = samples = 0
    if sample > 0:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            rss, pss, live = _memory(_tree(pid))
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            most = max(most, live)
            samples += 1
            time.sleep(sample)
    else:
        _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"seconds": seconds, "max_rss_kib": usage.ru_maxrss,
                   # CPU of the command and the children it reaped: on a shared machine
                   # the stable figure beside the wall time (PostgreSQL's server not included)
                   "cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "returncode": os.waitstatus_to_exitcode(status),
                   "tree_peak_rss_kib": peak_rss, "tree_peak_pss_kib": peak_pss,
                   "tree_max_processes": most, "samples": samples}, f)


if __name__ == "__main__":
    main()
