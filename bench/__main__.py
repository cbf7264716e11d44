"""Load benchmark, scale-out measurement and soak of the gateway against raw Rasa.

    python -m bench run     # raw Rasa vs the gateway, same model, same run (make bench)
    python -m bench scale   # turns/s through the gateway with 1 and with 2 Rasa replicas
    python -m bench soak    # 20 customers through the gateway for 10 minutes, memory
    python -m bench profile # where a turn's time goes, process by process (py-spy)

Each command starts its own processes (action server, Rasa, gateway) on free ports with a
temporary var/, and stops them afterwards; `--json FILE` also writes the numbers.
docs/PERFORMANCE.md and docs/RELIABILITY.md hold the numbers of this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Running, running_stack, self_rss_mib
from bench.load import Side, Stats, customers, intake_scripts, sequential

# Targets of issue 9: the gateway adds at most 5 % to raw Rasa's p50 and keeps 95 % of its
# throughput; a second replica gives 1.8x the turns per second.
MAX_P50_OVERHEAD = 0.05
MIN_THROUGHPUT_RATIO = 0.95
MIN_SCALE_RATIO = 1.8


def sides(running: Running) -> tuple[Side, Side]:
    raw = Side("raw", f"{running.rasa_urls[0]}/webhooks/rest/webhook")
    gateway = Side("gateway", f"{running.gateway_url}/webhooks/rest/webhook")
    return raw, gateway


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def memory_table(samples: dict[str, dict[str, float]]) -> str:
    """Rows: processes; columns: the moments sampled (MiB)."""
    moments = list(samples)
    names = list(samples[moments[0]])
    rows = [["process (RSS, MiB)", *moments]]
    rows += [[name, *(fmt(samples[m].get(name, 0.0), 0) for m in moments)] for name in names]
    return table(rows)


def paired_overhead_ms(raw: Stats, gateway: Stats) -> float:
    """Median of gateway minus raw latency over the same turns (ms); NaN if they differ."""
    if not raw.latencies or len(raw.latencies) != len(gateway.latencies):
        return float("nan")
    diffs = sorted(g - r for r, g in zip(raw.latencies, gateway.latencies, strict=True))
    return diffs[len(diffs) // 2] * 1000.0


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "when": time.ctime()}


def warm_up(raw: Side, gateway: Side, scripts: list[list[str]]) -> None:
    """Every script once on each side: models, caches and connections are warm."""
    asyncio.run(sequential([raw, gateway], scripts, len(scripts)))


# --- run: raw Rasa against the gateway ---------------------------------------------------


def command_run(args: argparse.Namespace) -> dict[str, Any]:
    scripts = intake_scripts()
    with running_stack(keep=args.keep) as running:
        raw, gateway = sides(running)
        memory = {"start": {**running.memory(), "bench client": self_rss_mib()}}
        print(f"warm-up: {len(scripts)} conversations on each side")
        warm_up(raw, gateway, scripts)
        print(f"sequential: {args.sequential} conversations on each side, alternating")
        seq = asyncio.run(sequential([raw, gateway], scripts, args.sequential))
        conc = {raw.name: Stats(), gateway.name: Stats()}
        for n in range(args.rounds):
            for side in (raw, gateway):
                print(
                    f"concurrent round {n + 1}/{args.rounds}: {args.customers} customers "
                    f"on {side.name} for {args.seconds:.0f}s"
                )
                result = asyncio.run(
                    customers(side, scripts, count=args.customers, seconds=args.seconds)
                )
                conc[side.name].merge_phase(result)
        memory["end"] = {**running.memory(), "bench client": self_rss_mib()}

    r_seq, g_seq = seq["raw"], seq["gateway"]
    r_con, g_con = conc["raw"], conc["gateway"]
    overhead = ratio(g_seq.quantile(0.5), r_seq.quantile(0.5)) - 1
    # The same script's same turn on both sides: the median of the differences is the
    # gateway's own cost per turn, steadier than the difference of two p50s over turns of
    # very different weight (a greeting against a form step that calls the action server).
    paired = paired_overhead_ms(r_seq, g_seq)
    throughput = ratio(g_con.turns_per_second, r_con.turns_per_second)
    rows = [
        ["", "raw Rasa", "gateway", "gateway/raw", "target"],
        [
            "1 customer   p50 ms",
            fmt(r_seq.quantile(0.5)),
            fmt(g_seq.quantile(0.5)),
            fmt(overhead + 1, 3),
            f"<= {1 + MAX_P50_OVERHEAD:.2f}",
        ],
        [
            "1 customer   paired +ms",
            "",
            fmt(paired),
            fmt(1 + ratio(paired, r_seq.quantile(0.5)), 3),
            "(median of same-turn differences)",
        ],
        ["1 customer   mean ms", fmt(r_seq.mean_ms()), fmt(g_seq.mean_ms()), fmt(ratio(g_seq.mean_ms(), r_seq.mean_ms()), 3), ""],
        ["1 customer   p95 ms", fmt(r_seq.quantile(0.95)), fmt(g_seq.quantile(0.95)), "", ""],
        ["1 customer   max ms", fmt(r_seq.quantile(1.0)), fmt(g_seq.quantile(1.0)), "", ""],
        ["1 customer   turns", str(r_seq.turns), str(g_seq.turns), "", ""],
        [
            f"{args.customers} customers turns/s",
            fmt(r_con.turns_per_second, 2),
            fmt(g_con.turns_per_second, 2),
            fmt(throughput, 3),
            f">= {MIN_THROUGHPUT_RATIO:.2f}",
        ],
        [
            f"{args.customers} customers p50 ms",
            fmt(r_con.quantile(0.5)),
            fmt(g_con.quantile(0.5)),
            fmt(ratio(g_con.quantile(0.5), r_con.quantile(0.5)), 3),
            "",
        ],
        [f"{args.customers} customers p95 ms", fmt(r_con.quantile(0.95)), fmt(g_con.quantile(0.95)), "", ""],
        [f"{args.customers} customers max ms", fmt(r_con.quantile(1.0)), fmt(g_con.quantile(1.0)), "", ""],
        [f"{args.customers} customers turns", str(r_con.turns), str(g_con.turns), "", ""],
        [
            "errors (all phases)",
            str(r_seq.error_count + r_con.error_count),
            str(g_seq.error_count + g_con.error_count),
            "",
            "0",
        ],
        ["turns with no reply", str(r_seq.silent + r_con.silent), str(g_seq.silent + g_con.silent), "", ""],
    ]  # fmt: skip
    print()
    print(table(rows))
    print()
    print(memory_table(memory))
    errors = g_seq.error_count + g_con.error_count + r_seq.error_count + r_con.error_count
    verdict = {
        "paired_overhead_ms": round(paired, 2),
        "p50_overhead": round(overhead, 4),
        "p50_overhead_met": overhead <= MAX_P50_OVERHEAD,
        "throughput_ratio": round(throughput, 4),
        "throughput_met": throughput >= MIN_THROUGHPUT_RATIO,
        "errors": errors,
    }
    print()
    print(
        f"gateway p50 overhead {overhead * 100:+.1f}% (target <= +{MAX_P50_OVERHEAD * 100:.0f}%)"
        f" {'met' if verdict['p50_overhead_met'] else 'NOT met'}; throughput ratio "
        f"{throughput:.3f} (target >= {MIN_THROUGHPUT_RATIO}) "
        f"{'met' if verdict['throughput_met'] else 'NOT met'}; errors {errors}"
    )
    return {
        "command": "run",
        "machine": machine(),
        "settings": vars(args),
        "sequential": {name: stats.summary() for name, stats in seq.items()},
        "concurrent": {name: stats.summary() for name, stats in conc.items()},
        "memory_mib": memory,
        "verdict": verdict,
    }


# --- scale: one replica against two --------------------------------------------------------


def replica_turns(running: Running) -> dict[str, int]:
    health = httpx.get(f"{running.gateway_url}/healthz", timeout=30).json()
    return {url: int(n) for url, n in health["rasa"]["turns"].items()}


def command_scale(args: argparse.Namespace) -> dict[str, Any]:
    scripts = intake_scripts()
    results: dict[str, Any] = {}
    for replicas in (1, 2):
        print(f"--- {replicas} Rasa replica(s), shared stores (endpoints.prod.yml)")
        with running_stack(replicas=replicas, shared_stores=True, keep=args.keep) as running:
            _raw, gateway = sides(running)
            asyncio.run(sequential([gateway], scripts, len(scripts)))
            before = replica_turns(running)
            stats = Stats()
            for n in range(args.rounds):
                print(
                    f"round {n + 1}/{args.rounds}: {args.customers} customers for {args.seconds:.0f}s"
                )
                stats.merge_phase(
                    asyncio.run(
                        customers(gateway, scripts, count=args.customers, seconds=args.seconds)
                    )
                )
            after = replica_turns(running)
            results[str(replicas)] = {
                **stats.summary(),
                "turns_per_replica": {url: after[url] - before.get(url, 0) for url in after},
                "memory_mib": running.memory(),
            }
    one, two = results["1"], results["2"]
    gain = ratio(two["turns_per_second"], one["turns_per_second"])
    rows = [
        ["", "1 replica", "2 replicas", "2/1", "target"],
        ["turns/s", fmt(one["turns_per_second"], 2), fmt(two["turns_per_second"], 2), fmt(gain, 3), f">= {MIN_SCALE_RATIO}"],
        ["p50 ms", fmt(one["p50_ms"]), fmt(two["p50_ms"]), "", ""],
        ["p95 ms", fmt(one["p95_ms"]), fmt(two["p95_ms"]), "", ""],
        ["errors", str(one["errors"]), str(two["errors"]), "", "0"],
        ["turns per replica", " / ".join(map(str, one["turns_per_replica"].values())),
         " / ".join(map(str, two["turns_per_replica"].values())), "", ""],
    ]  # fmt: skip
    print()
    print(table(rows))
    print(
        f"\nsecond replica: x{gain:.2f} (target >= {MIN_SCALE_RATIO}) "
        f"{'met' if gain >= MIN_SCALE_RATIO else 'NOT met'}"
    )
    return {
        "command": "scale",
        "machine": machine(),
        "settings": vars(args),
        "replicas": results,
        "verdict": {"gain": round(gain, 3), "met": gain >= MIN_SCALE_RATIO},
    }


# --- soak: a long run through the gateway, memory at start and end -------------------------


def command_soak(args: argparse.Namespace) -> dict[str, Any]:
    scripts = intake_scripts()
    seconds = args.minutes * 60.0
    with running_stack(keep=args.keep) as running:
        _raw, gateway = sides(running)
        asyncio.run(sequential([gateway], scripts, len(scripts)))
        memory = {"start": {**running.memory(), "bench client": self_rss_mib()}}
        minutes: list[Stats] = []
        started = time.monotonic()

        def on_conversation(done: Stats) -> None:
            minute = int((time.monotonic() - started) // 60)
            while len(minutes) <= minute:
                minutes.append(Stats(duration=60.0))
            minutes[minute].merge(done)
            if minute >= 1 and f"{minute} min" not in memory:
                memory[f"{minute} min"] = {**running.memory(), "bench client": self_rss_mib()}
                print(f"minute {minute}: {minutes[minute - 1].turns} turns", flush=True)

        print(f"soak: {args.customers} customers through the gateway for {args.minutes:g} min")
        total = asyncio.run(
            customers(
                gateway, scripts, count=args.customers, seconds=seconds, on_turn=on_conversation
            )
        )
        memory["end"] = {**running.memory(), "bench client": self_rss_mib()}
        health = httpx.get(f"{running.gateway_url}/healthz", timeout=30).json()
    shown = {k: v for k, v in memory.items() if k in ("start", "end") or k.endswith(" min")}
    print()
    print(table([
        ["customers", "minutes", "turns", "turns/s", "p50 ms", "p95 ms", "max ms", "errors"],
        [str(args.customers), f"{args.minutes:g}", str(total.turns), fmt(total.turns_per_second, 2),
         fmt(total.quantile(0.5)), fmt(total.quantile(0.95)), fmt(total.quantile(1.0)),
         str(total.error_count)],
    ]))  # fmt: skip
    print()
    print(memory_table(shown))
    growth = {
        name: round(memory["end"][name] - memory["start"][name], 1) for name in memory["start"]
    }
    print(f"\nmemory end - start (MiB): {growth}")
    print(f"gateway health at the end: {health['status']}")
    return {
        "command": "soak",
        "machine": machine(),
        "settings": vars(args),
        "total": total.summary(),
        "per_minute": [m.summary() for m in minutes],
        "memory_mib": memory,
        "memory_growth_mib": growth,
        "health_at_end": health["status"],
    }


def command_profile(args: argparse.Namespace) -> dict[str, Any]:
    from bench.profile import profile

    scripts = intake_scripts()
    with running_stack(keep=args.keep) as running:
        raw, gateway = sides(running)
        warm_up(raw, gateway, scripts)
        result = profile(running, scripts, args.rounds, args.rate)
        result["memory_mib"] = running.memory()
    print()
    print(memory_table({"after": result["memory_mib"]}))
    return {"command": "profile", "machine": machine(), "settings": vars(args), **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="raw Rasa against the gateway, in one run")
    run.add_argument("--customers", type=int, default=20)
    run.add_argument("--seconds", type=float, default=60.0, help="per side and round")
    run.add_argument("--rounds", type=int, default=2, help="concurrent rounds, sides alternating")
    run.add_argument(
        "--sequential", type=int, default=24, help="one-at-a-time conversations per side"
    )
    scale = sub.add_parser("scale", help="turns/s through the gateway with 1 and 2 Rasa replicas")
    scale.add_argument("--customers", type=int, default=20)
    scale.add_argument("--seconds", type=float, default=60.0)
    scale.add_argument("--rounds", type=int, default=1)
    soak = sub.add_parser("soak", help="customers through the gateway for minutes; memory")
    soak.add_argument("--customers", type=int, default=20)
    soak.add_argument("--minutes", type=float, default=10.0)
    prof = sub.add_parser("profile", help="CPU per turn of each process, by what it was doing")
    prof.add_argument("--rounds", type=int, default=2, help="times through every script")
    prof.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    for each in (run, scale, soak, prof):
        each.add_argument("--json", type=Path, help="also write the numbers to this file")
        each.add_argument("--keep", action="store_true", help="keep the temporary var/ (logs)")
    args = parser.parse_args(argv)
    commands = {
        "run": command_run,
        "scale": command_scale,
        "soak": command_soak,
        "profile": command_profile,
    }
    command = commands[args.command]
    result = command(args)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
