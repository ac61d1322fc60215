"""Load benchmark: many citizens through the real stack, against stock Rasa 3.6.

    .venv/bin/python bench/load.py               # full run, about 7 minutes with the stock model cached
    .venv/bin/python bench/load.py --quick       # smoke run, short durations
    .venv/bin/python bench/load.py --skip-stock  # ours only
    .venv/bin/python bench/load.py --profile     # (b) only, our Rasa server under pyinstrument
    .venv/bin/python bench/load.py --profile c   # same during (c)
    .venv/bin/python bench/load.py --replicas 1  # ours with one Rasa server (default 2: one per core)

Ours: trains the project's model (``rasa train --force``, cold cache: figure
(e)), starts it with the README's run command (scripts/run) on free ports in
a temporary state folder, the Zalo connector pointed at the project's Zalo
simulator (instrumented: bench/loadgen/sim.py), and plays citizens: signed
``user_send_text`` webhooks posted to the intake server (/webhooks/zalo/webhook), replies
received by the simulator as Open API calls (bench/loadgen/drivers.py).
Messages are real Vietnamese questions and follow-ups
(bench/loadgen/corpus.py); each one is first checked against the running
model, so that none starts a handoff, an SOS or a tip-off form (they pause
the bot or start a form instead of loading it).

  (a) 4 conversations at once, closed loop (a citizen writes again as soon
      as the previous turn is complete), N turns each: turn latency
      p50/p95/p99; turn latency = the simulator received the turn's first
      reply call - the webhook was posted;
  (b) saturation: 20 conversations at once, closed loop, conversations of 1
      to 300 turns, for a fixed time after a warm-up: throughput (turns/s),
      turn latency, webhook acknowledgement p50/p99, errors, CPU per turn of
      each process;
  (c) one conversation of 300 turns whose last 20 turns repeat the messages
      of its first 20: p50 of turns 1-20 vs 281-300;
  (d) RSS of the stack's processes (/proc) after the run;
  (e) training time.

Stock: the same data, domain and importers with Rasa 3.6's default pipeline
and policies written out (bench/loadgen/stack.py; model cached in
bench/.cache/ by a hash of what it is made from), ``rasa run`` on the REST
channel with its own action server and, like ours, a SQLite tracker store;
scenarios (a) and (b) over REST (turn latency = the round trip). Ratios are
ours/stock.

Prints a table and which targets are met, and writes bench/results/load.json.
Every process listens on 127.0.0.1; every wait is bounded. This supersedes
bench/zalo_webhook_ack.py for acknowledgement and turn latency (ack under
saturation here); that script remains for its --sos timing. Figures are
noisy when other jobs use the CPU: the load average before the run is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.loadgen import stack  # noqa: E402
from bot.core.internal_auth import rasa_headers  # noqa: E402
from bench.loadgen.corpus import UNSAFE_INTENTS, Corpus, not_emergency  # noqa: E402
from bench.loadgen.drivers import (  # noqa: E402
    ProjectDb, ReplyStream, RestDriver, ZaloDriver, closed_loop, percentile, summary,
)

RESULTS = ROOT / "bench" / "results"


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def screen(session: aiohttp.ClientSession, url: str, token: str, corpus: Corpus) -> Corpus:
    """Keep the messages the running model does not route to a handoff, SOS,
    tip-off, cancel or "not understood" (and that the SOS detector passes)."""
    intents: Dict[str, str] = {}
    gate = asyncio.Semaphore(4)

    async def parse(text: str) -> None:
        async with gate, session.post(f"{url}/model/parse", headers=rasa_headers(token),
                                     json={"text": text}) as r:
            intents[text] = (await r.json())["intent"]["name"]

    await asyncio.gather(*(parse(t) for t in corpus.texts()))
    return corpus.keep(lambda t: intents[t] not in UNSAFE_INTENTS and not_emergency(t))


async def saturation(driver, corpus, args, tag: str, processes: Dict[str, List[int]], on_window=None) -> dict:
    """(b): ``args.users_b`` citizens for warm-up + duration; figures over the
    window, with the CPU time each process of the stack used per turn."""
    started = time.time()
    window = (started + args.warmup, started + args.warmup + args.duration)
    cpu: Dict[str, Dict[str, float]] = {}

    def sample() -> Dict[str, float]:
        return {**stack.cpu_by_role(processes), "load generator": own_cpu()}

    async def mark() -> None:
        await asyncio.sleep(args.warmup)
        cpu["start"] = sample()
        if on_window:
            on_window("start")
        await asyncio.sleep(args.duration)
        cpu["end"] = sample()
        if on_window:
            on_window("end")

    marker = asyncio.create_task(mark())
    turns = await closed_loop(driver, corpus, args.users_b, tag, args.seed, duration=args.warmup + args.duration)
    await marker
    result = summary(turns, window)
    n = result["answered"] or 1
    result["cpu_ms_per_turn"] = {role: (cpu["end"][role] - cpu["start"][role]) * 1000 / n for role in cpu["end"]}
    result["server_cpu_ms_per_turn"] = result["cpu_ms_per_turn"].get("rasa_server")
    return result


async def measure_ours(args, model: Path, state: Path, corpus: Corpus, out: dict) -> Corpus:
    wrapper_env = {}
    if args.profile:
        wrapper_env["BENCH_PROFILE_OUT"] = str(args.profile_out)
    note(f"starting our stack (scripts/run --replicas {args.replicas} + Zalo simulator)")
    with contextlib.ExitStack() as services:
        redis_url = None
        if args.replicas > 1:  # the lock store the replicas share
            from tests.services import redis

            state.mkdir(parents=True, exist_ok=True)
            redis_url = services.enter_context(redis(state))
        ours = stack.Ours(model, state, wrapper_env, replicas=args.replicas, redis_url=redis_url)
        return await _measure_ours(args, ours, corpus, out)


async def _measure_ours(args, ours, corpus: Corpus, out: dict) -> Corpus:
    try:
        rasa_pid = ours.rasa_pid()
        out["rss_idle_mb"] = ours.memory()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            note("screening messages with the running model")
            corpus = await screen(session, ours.url, ours.TOKEN, corpus)
            out["messages"] = {"kept": len(corpus.texts()), "dropped": len(corpus.dropped)}
            stream = ReplyStream(session, f"{ours.sim_url}/_bench/stream")
            await stream.start()
            db = ProjectDb(ours.project_db)
            driver = ZaloDriver(session, ours.webhook_url, stream, db,
                                ours.app_id, ours.oa_id, ours.oa_secret)
            await closed_loop(driver, corpus, 2, "warm", args.seed, turns=5)  # warm-up, not measured

            def overhead(name: str, work):
                async def run():
                    before_cpu, before_sim, before_checks = own_cpu(), stack.cpu_seconds(ours.sim.pid), db.checks
                    before_turns = driver.count
                    result = await work
                    turns = (driver.count - before_turns) or 1  # every turn played, warm-up included
                    result["overhead"] = {
                        "generator_cpu_ms_per_turn": (own_cpu() - before_cpu) * 1000 / turns,
                        "simulator_cpu_ms_per_turn": (stack.cpu_seconds(ours.sim.pid) - before_sim) * 1000 / turns,
                        "db_checks_per_turn": (db.checks - before_checks) / turns,
                    }
                    out[name] = result
                return run()

            def on_window(edge: str) -> None:
                if args.profile and rasa_pid:
                    os.kill(rasa_pid, signal.SIGUSR1 if edge == "start" else signal.SIGUSR2)

            if not args.profile:
                note(f"(a) {args.users_a} conversations x {args.turns} turns")
                await overhead("a", _concurrent(driver, corpus, args))
            if args.profile in (None, "c"):
                note(f"(c) one conversation of {args.long} turns")
                on_window("start")
                await overhead("c", _long(driver, corpus, args))
                on_window("end")
            if args.profile in (None, "b"):
                note(f"(b) saturation: {args.users_b} conversations, {args.warmup:.0f} s warm-up + "
                     f"{args.duration:.0f} s")
                processes = stack.roles([ours.launcher.pid, ours.sim.pid])
                await overhead("b", saturation(driver, corpus, args, "b", processes, on_window))
            out["zalo_db"] = db.totals()
            await stream.close()
        out["rss_mb"] = ours.memory()
        if args.profile:
            deadline = time.monotonic() + 120
            while not args.profile_out.with_suffix(".json").exists() and time.monotonic() < deadline:
                await asyncio.sleep(1)
    finally:
        note("stopping our stack")
        ours.close()
    return corpus


async def _concurrent(driver, corpus, args) -> dict:
    return summary(await closed_loop(driver, corpus, args.users_a, "a", args.seed, turns=args.turns,
                                     think=args.think))


async def _long(driver, corpus, args) -> dict:
    block = 20 if args.long >= 100 else max(5, args.long // 4)
    turns = await closed_loop(driver, corpus, 1, "c", args.seed, turns=args.long, replay=block)
    result = summary(turns)
    latency = {t.index: t.latency_ms for t in turns if t.latency_ms is not None}
    first = [latency[i] for i in range(1, block + 1) if i in latency]
    last = [latency[i] for i in range(args.long - block + 1, args.long + 1) if i in latency]
    result.update(block=block, first_p50=percentile(first, 50), last_p50=percentile(last, 50))
    result["ratio"] = result["last_p50"] / result["first_p50"] if first and last else None
    result["block_p50"] = [percentile([latency[i] for i in range(s, s + block) if i in latency], 50)
                           for s in range(1, args.long + 1, block)]
    return result


async def measure_stock(args, state: Path, corpus: Corpus, out: dict) -> None:
    trained = stack.stock_model(state / "stock-train.log")
    out["training"] = {k: trained[k] for k in ("train_s", "cached", "auto_config_warning") if k in trained}
    note(f"starting stock Rasa ({'cached' if trained['cached'] else 'trained'} model)")
    stock = stack.Stock(Path(trained["model"]), state / "stock", tracker_store=args.stock_tracker)
    try:
        out["rss_idle_mb"] = stock.memory()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            driver = RestDriver(session, f"{stock.url}/webhooks/rest/webhook")
            await closed_loop(driver, corpus, 2, "warm", args.seed, turns=5)
            note(f"stock (a) {args.users_a} conversations x {args.turns} turns")
            out["a"] = await _concurrent(driver, corpus, args)
            note(f"stock (b) saturation: {args.users_b} conversations")
            out["b"] = await saturation(driver, corpus, args, "b", stack.roles([stock.server.pid, stock.actions.pid]))
        out["rss_mb"] = stock.memory()
    finally:
        stock.close()


# --------------------------------------------------------------------------- #
# report
# --------------------------------------------------------------------------- #

def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def ratio(a, b) -> Optional[float]:
    return a / b if a is not None and b else None


def report(results: dict, args) -> str:
    ours, stock = results["ours"], results.get("stock") or {}
    lines = [f"Load benchmark, {results['when']}, {os.cpu_count()} CPUs, load average before: "
             f"{results['loadavg_before']:.2f} (other jobs on this machine make the figures noisy)"]
    if args.profile:
        lines.append(f"our Rasa server under pyinstrument during ({args.profile}): slower than without it")
    training = stock.get("training") or {}
    if stock:
        lines.append("stock = Rasa 3.6's default pipeline and policies (DIET, TED, UnexpecTED, Memoization, Rules), "
                     f"REST channel, {args.stock_tracker} tracker store, model "
                     + ("from bench/.cache" if training.get("cached") else "trained in this run")
                     + ("; Rasa's 'Auto-config for multiple importers is not supported; using config as is' "
                        "warning appeared (expected: the config is written out)" if training.get("auto_config_warning") else ""))
    lines.append(f"ours = scripts/run --replicas {args.replicas}"
                 + (" (Rasa servers sharing a private Redis lock store and the SQLite files; the intake server "
                    "sends each citizen to one of them)" if args.replicas > 1 else "")
                 + ", Zalo webhooks into the intake server, replies to the Zalo simulator")
    lines.append(f"{'':46s}{'ours (Zalo)':>14s}{'stock (REST)':>14s}{'ours/stock':>12s}")

    def row(label: str, key: str, part: str, digits: int = 1, show_ratio: bool = False) -> None:
        a = (ours.get(part) or {}).get(key)
        b = (stock.get(part) or {}).get(key)
        lines.append(f"    {label:42s}{fmt(a, digits):>14s}{fmt(b, digits):>14s}"
                     f"{(fmt(ratio(a, b), 2) + '×') if show_ratio and ratio(a, b) else '':>12s}")

    lines.append(f"(a) {args.users_a} conversations × {args.turns} turns, "
                 + (f"{args.think:g} s think time" if args.think else "closed loop"))
    for key in ("p50", "p95", "p99"):
        row(f"turn latency {key} (ms)", key, "a", show_ratio=key == "p95")
    row("turns completed", "answered", "a", 0)
    row("throughput (turns/s)", "throughput", "a")
    row("errors", "error_count", "a", 0)
    lines.append(f"(b) saturation: {args.users_b} conversations, closed loop, {args.duration:.0f} s "
                 f"after {args.warmup:.0f} s warm-up")
    row("throughput (turns/s)", "throughput", "b", 2, show_ratio=True)
    for key in ("p50", "p95", "p99"):
        row(f"turn latency {key} (ms)", key, "b", show_ratio=key == "p95")
    row("all replies sent, p95 (ms)", "complete_p95", "b")
    row("webhook ack p50 (ms)", "ack_p50", "b")
    row("webhook ack p99 (ms)", "ack_p99", "b")
    row("webhook ack max (ms)", "ack_max", "b")
    row("errors", "error_count", "b", 0)
    row("Rasa server CPU per turn (ms)", "server_cpu_ms_per_turn", "b", show_ratio=True)
    for role in ("action_server", "intake_server", "web_server", "simulator", "load generator"):
        a = ((ours.get("b") or {}).get("cpu_ms_per_turn") or {}).get(role)
        b = ((stock.get("b") or {}).get("cpu_ms_per_turn") or {}).get(role)
        if a is not None or b is not None:
            lines.append(f"    {'  ' + role.replace('_', ' ') + ' CPU per turn (ms)':42s}{fmt(a):>14s}{fmt(b):>14s}")
    c = ours.get("c") or {}
    if c:
        lines.append(f"(c) one conversation of {args.long} turns (turns {args.long - c['block'] + 1}-{args.long} "
                     f"repeat the messages of 1-{c['block']})")
        lines.append(f"    {'p50 turns 1-' + str(c['block']) + ' (ms)':42s}{fmt(c['first_p50']):>14s}")
        lines.append(f"    {'p50 turns ' + str(args.long - c['block'] + 1) + '-' + str(args.long) + ' (ms)':42s}"
                     f"{fmt(c['last_p50']):>14s}")
        lines.append(f"    {'ratio last/first':42s}{fmt(c['ratio'], 2):>14s}")
        lines.append(f"    {'p50 per block of ' + str(c['block']) + ' turns (ms)':42s}"
                     + " ".join(fmt(v, 0) for v in c["block_p50"]))
        lines.append(f"    {'errors':42s}{fmt(c['error_count'], 0):>14s}")
    lines.append("(d) memory after the run, RSS (MB)")
    for key, label in (("total", "all processes of the stack"), ("rasa_server", "Rasa server"),
                       ("action_server", "action server")):
        a, b = (ours.get("rss_mb") or {}).get(key), (stock.get("rss_mb") or {}).get(key)
        lines.append(f"    {label:42s}{fmt(a, 0):>14s}{fmt(b, 0):>14s}")
    lines.append("(e) training (s)")
    st = stock.get("training") or {}
    lines.append(f"    {'rasa train --force, cold cache':42s}{fmt(ours.get('train_s')):>14s}{fmt(st.get('train_s')):>14s}"
                 + ("   (stock: cached, time of its training)" if st.get("cached") else ""))
    overhead = (ours.get("b") or {}).get("overhead")
    if overhead:
        lines.append(f"Measuring cost during (b), per turn: generator CPU {overhead['generator_cpu_ms_per_turn']:.2f} ms, "
                     f"simulator CPU {overhead['simulator_cpu_ms_per_turn']:.2f} ms, "
                     f"{overhead['db_checks_per_turn']:.1f} read-only project-DB checks")
    if ours.get("messages"):
        lines.append(f"Messages: {ours['messages']['kept']} distinct kept, {ours['messages']['dropped']} dropped by "
                     "the screening (handoff, SOS, tip-off, cancel, not understood)")
    if ours.get("zalo_db"):
        lines.append(f"Zalo DB at the end: inbox {ours['zalo_db']['inbox']}, outbox {ours['zalo_db']['outbox']}, "
                     f"outbox rows retried: {ours['zalo_db']['outbox_retried']['n']}")
    for side, data in (("ours", ours), ("stock", stock)):
        for part in ("a", "b", "c"):
            samples = (data.get(part) or {}).get("error_samples") or []
            if samples:
                lines.append(f"Errors {side} ({part}), first ones [conversation, turn, message, error]: "
                             + "; ".join(str(sample) for sample in samples[:3]))
    lines.append("Targets:")
    for name, ok, detail in targets(results):
        lines.append(f"  {'-' if ok is None else '✓' if ok else '✗'} {name}: {detail}")
    return "\n".join(lines)


def targets(results: dict) -> List[tuple]:
    ours, stock = results["ours"], results.get("stock") or {}
    a, b, c = ours.get("a") or {}, ours.get("b") or {}, ours.get("c") or {}
    found = []
    x = ratio(b.get("throughput"), (stock.get("b") or {}).get("throughput"))
    found.append(("saturation throughput ≥ 3× stock", None if x is None else x >= 3,
                  f"{fmt(b.get('throughput'), 2)} vs {fmt((stock.get('b') or {}).get('throughput'), 2)} turns/s"
                  + (f" = {x:.2f}×" if x else " (no stock run)")))
    p95 = a.get("p95")
    found.append(("p95 turn ≤ 100 ms with 4 conversations", None if p95 is None else p95 <= 100, f"{fmt(p95)} ms"))
    r = c.get("ratio")
    found.append(("p50 at turn 300 ≤ 1.5× turn 1", None if r is None else r <= 1.5,
                  f"{fmt(c.get('last_p50'))} / {fmt(c.get('first_p50'))} ms = {fmt(r, 2)}×"))
    ack = b.get("ack_p99")
    found.append(("webhook ack p99 ≤ 50 ms at saturation", None if ack is None else ack <= 50, f"{fmt(ack)} ms"))
    t = ours.get("train_s")
    found.append(("training ≤ 2 minutes", None if t is None else t <= 120, f"{fmt(t)} s"))
    return found


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short durations: a smoke run")
    parser.add_argument("--skip-stock", action="store_true", help="do not measure stock Rasa")
    parser.add_argument("--profile", nargs="?", const="b", choices=("b", "c"),
                        help="only scenario (b) (or c) on our stack, its Rasa server under pyinstrument "
                             "during it; bench/results/profile.*")
    parser.add_argument("--model", type=Path, help="use this model of ours; no training (no figure (e))")
    parser.add_argument("--turns", type=int, help="(a) turns per conversation (default 60)")
    parser.add_argument("--replicas", type=int, default=2,
                        help="our Rasa servers (scripts/run --replicas N, sharing a private Redis lock store "
                             "and the SQLite files; default 2: one per core)")
    parser.add_argument("--users-a", type=int, default=4)
    parser.add_argument("--users-b", type=int, default=20)
    parser.add_argument("--duration", type=float, help="(b) measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, help="(b) warm-up seconds (default 10)")
    parser.add_argument("--long", type=int, help="(c) turns of the long conversation (default 300)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="(a) seconds a citizen waits after a reply (default 0: closed loop)")
    parser.add_argument("--stock-tracker", choices=("sqlite", "memory"), default="sqlite",
                        help="stock Rasa's tracker store: SQLite like ours (default), or Rasa's in-memory default")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state-dir", type=Path, help="keep logs and databases here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="where to write the results (default bench/results/load.json)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.turns = args.turns or (10 if quick else 60)
    args.duration = args.duration or (10 if quick else 60)
    args.warmup = args.warmup if args.warmup is not None else (2 if quick else 10)
    args.long = args.long or (40 if quick else 300)
    args.json = args.json or RESULTS / ((f"load-profile-{args.profile}" if args.profile else "load") + ".json")
    args.profile_out = RESULTS / ("profile" + ("-c" if args.profile == "c" else ""))
    if args.profile:
        args.skip_stock = True
        args.replicas = 1  # one Rasa server to profile
    return args


async def main_async(args) -> dict:
    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M"), "loadavg_before": os.getloadavg()[0],
                     "args": {k: str(v) for k, v in vars(args).items()}, "ours": {}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for stale in RESULTS.glob(args.profile_out.name + ".*") if args.profile else ():
        stale.unlink()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        tmp = Path(tmp) if args.state_dir is None else args.state_dir
        tmp.mkdir(parents=True, exist_ok=True)
        model = args.model
        if model is None:
            note("training our model: rasa train --force (cold cache)")
            (tmp / "models").mkdir()
            model, results["ours"]["train_s"] = stack.train_ours(tmp / "models", tmp / "train.log")
        corpus = await measure_ours(args, model, tmp / "ours", Corpus.load(), results["ours"])
        if not args.skip_stock:
            results["stock"] = {}
            await measure_stock(args, tmp, corpus, results["stock"])
    return results


def main() -> None:
    args = parse_args()
    results = asyncio.run(main_async(args))
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(report(results, args))
    if args.profile and args.profile_out.with_suffix(".json").exists():
        profile = json.loads(args.profile_out.with_suffix(".json").read_text())
        name = args.profile_out.relative_to(ROOT)
        print(f"\nProfile of the Rasa server during ({args.profile}), {profile['total_s']:.1f} s of its main thread "
              f"({name}.html, {name}.txt):")
        for name, seconds, share in profile["parts"][:15]:
            print(f"  {share:6.1%}  {seconds:7.2f} s  {name}")
        print("Top functions by own time:")
        for name, seconds, share in profile["functions"][:10]:
            print(f"  {share:6.1%}  {seconds:7.2f} s  {name}")
    print(f"(results: {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json})")


if __name__ == "__main__":
    main()
