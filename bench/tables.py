#!/usr/bin/env python3
"""Renders the benchmark suite's JSON as the Markdown tables of the README.

Usage: bench/tables.py [build-bench/bench.json] [build-bench/torch_compare.json]

Reads what shapeflow-bench and torch_compare.py wrote (the second file is
optional: without it, the PyTorch table is left out) and prints Markdown:
the machine, the kernels against the peak, the networks with their arena,
shapeflow against PyTorch, and the compiler.
"""

import json
import os
import re
import sys


def fmt_time(seconds):
    if seconds >= 1e-3:
        return "%.2f ms" % (seconds * 1e3)
    return "%.1f us" % (seconds * 1e6)


def split_threads(name):
    """'conv2d/x/threads:2' -> ('conv2d/x', 2)."""
    m = re.match(r"(.*)/threads:(\d+)$", name)
    return (m.group(1), int(m.group(2))) if m else (name, 0)


def by_threads(rows):
    """{case: {threads: row}}, in first-seen order."""
    cases = {}
    for row in rows:
        case, threads = split_threads(row["name"])
        cases.setdefault(case, {})[threads] = row
    return cases


def machine_table(rows):
    out = ["| measure | 1 thread | 2 threads |", "|---|--:|--:|"]
    for case, threads in by_threads(rows).items():
        unit = "GFLOP/s" if "GFLOP/s" in threads[1]["metrics"] else "GB/s"
        cells = ["%.1f %s" % (threads[t]["metrics"][unit], unit)
                 for t in (1, 2) if t in threads]
        out.append("| %s | %s |" % (case, " | ".join(cells)))
    return out


def kernel_table(rows):
    out = ["| kernel | 1 thread | of peak | 2 threads | of peak |",
           "|---|--:|--:|--:|--:|"]
    for case, threads in by_threads(rows).items():
        cells = []
        for t in (1, 2):
            row = threads.get(t)
            if not row:
                cells += ["", ""]
                continue
            metrics = row["metrics"]
            share = metrics.get("of_peak", metrics.get("of_copy_bw"))
            rate = ("%.0f GFLOP/s" % metrics["GFLOP/s"] if "GFLOP/s" in metrics
                    else "%.1f GB/s" % metrics["GB/s"])
            cells += ["%s (%s)" % (fmt_time(row["median_s"]), rate),
                      "%.0f%%" % (share * 100)]
        out.append("| %s | %s |" % (case, " | ".join(cells)))
    return out


def network_table(rows):
    out = ["| network | 1 thread | 2 threads | arena | naive | lower bound |"
           " arena / bound |", "|---|--:|--:|--:|--:|--:|--:|"]
    for case, threads in by_threads(rows).items():
        m = threads[1]["metrics"]
        times = [fmt_time(threads[t]["median_s"]) if t in threads else ""
                 for t in (1, 2)]
        out.append("| %s | %s | %s | %d | %d | %d | %.2fx |" % (
            case, times[0], times[1], m["arena"], m["naive"],
            m["lower_bound"], m["arena/bound"]))
    return out


def compiler_table(rows):
    out = ["| step | time | nodes | per node | packed weights |",
           "|---|--:|--:|--:|--:|"]
    for row in rows:
        m = row["metrics"]
        per = m.get("ns_per_node")
        packed = m.get("packed")
        out.append("| %s | %s | %s | %s | %s |" % (
            row["name"], fmt_time(row["median_s"]),
            "%d" % m["nodes"] if "nodes" in m else "",
            "%.0f ns" % per if per else "",
            "%.1f MB" % (packed / 1e6) if packed is not None else ""))
    return out


def torch_table(doc):
    out = ["| network | threads | shapeflow | eager | TorchScript |"
           " eager / shapeflow | TorchScript / shapeflow |",
           "|---|--:|--:|--:|--:|--:|--:|"]
    for r in doc["results"]:
        sf = r["shapeflow"]["median_ms"]
        eager = r["eager"]["median_ms"]
        ts = r.get("torchscript", {}).get("median_ms")
        out.append("| %s | %d | %.3f ms | %.3f ms | %s | %.2fx | %s |" % (
            r["case"], r["threads"], sf, eager,
            "%.3f ms" % ts if ts else "", eager / sf,
            "%.2fx" % (ts / sf) if ts else ""))
    return out


def main():
    bench_path = sys.argv[1] if len(sys.argv) > 1 else "build-bench/bench.json"
    torch_path = (sys.argv[2] if len(sys.argv) > 2
                  else "build-bench/torch_compare.json")
    with open(bench_path) as f:
        bench = json.load(f)
    sections = {}
    for row in bench["rows"]:
        sections.setdefault(row["section"], []).append(row)

    machine = bench.get("machine", {})
    print("Measured %s on %s (%d samples per case, medians).\n" % (
        machine.get("date", "?"), machine.get("cpu", "?"),
        machine.get("repetitions", 0)))
    render = [("machine", "Machine", machine_table),
              ("kernels", "Kernels", kernel_table),
              ("networks", "Networks", network_table),
              ("compiler", "Compiler", compiler_table)]
    for key, title, table in render:
        if key in sections:
            print("#### %s\n" % title)
            print("\n".join(table(sections[key])) + "\n")
    if os.path.exists(torch_path):
        with open(torch_path) as f:
            doc = json.load(f)
        print("#### Against PyTorch %s\n" % doc["environment"]["torch_version"])
        print("\n".join(torch_table(doc)) + "\n")


if __name__ == "__main__":
    main()
