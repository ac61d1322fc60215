"""Zalo webhook acknowledgement latency: signed delivery in -> HTTP 200 out.

    .venv/bin/python bench/zalo_webhook_ack.py [--count 500] [--concurrency 8]

Starts the assistant with the README's run command (newest model in models/,
a temporary state folder, the Zalo simulator as the Open API), posts signed
user_send_text webhooks exactly as Zalo does to its intake server, and prints p50/p95/p99 of the
time to the 200 answer, sequentially and with concurrent senders. Zalo wants
the answer within 2 s. With --sos N it then times N emergencies and N
ordinary questions from webhook in to the reply's arrival at the simulator
(the reply call out), one citizen at a time.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.zalo.signature import mac  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sos", type=int, default=0, help="also time this many SOS and ordinary replies")
    args = parser.parse_args()
    model = max((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    with tempfile.TemporaryDirectory() as state:
        port, sim_port, intake_port = free_port(), free_port(), free_port()
        log = open(Path(state) / "run.log", "w")
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run"), "--model", str(model), "--state-dir", state, "--host", "127.0.0.1",
             "--port", str(port), "--actions-port", str(free_port()), "--web-port", str(free_port()),
             "--sim-port", str(sim_port), "--intake-port", str(intake_port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            while "The assistant is running." not in (Path(state) / "run.log").read_text():
                if process.poll() is not None:
                    sys.exit("the assistant did not start:\n" + (Path(state) / "run.log").read_text()[-3000:])
                time.sleep(1)
            dev = json.loads((Path(state) / "zalo_dev.json").read_text())
            url = f"http://127.0.0.1:{intake_port}/webhooks/zalo/webhook"  # the intake server, where Zalo posts
            texts = ["xin chào", "đăng ký tạm trú cần giấy tờ gì", "lệ phí bao nhiêu", "cảm ơn"]

            def deliver(i: int, text: str = "", user: str = "") -> float:
                timestamp = str(int(time.time() * 1000))
                body = json.dumps({
                    "app_id": dev["ZALO_APP_ID"], "sender": {"id": user or f"6{i % 50:017d}"},
                    "user_id_by_app": "1", "recipient": {"id": dev["ZALO_OA_ID"]}, "event_name": "user_send_text",
                    "message": {"text": text or texts[i % len(texts)], "msg_id": secrets.token_hex(10)},
                    "timestamp": timestamp,
                }, ensure_ascii=False).encode()
                signature = "mac=" + mac(dev["ZALO_APP_ID"], body, timestamp, dev["ZALO_OA_SECRET_KEY"])
                request = urllib.request.Request(url, data=body, headers={
                    "Content-Type": "application/json", "X-ZEvent-Signature": signature})
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == 200
                return (time.perf_counter() - started) * 1000

            for name, workers in (("sequential", 1), (f"{args.concurrency} concurrent", args.concurrency)):
                started = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                    latencies = list(pool.map(deliver, range(args.count)))
                elapsed = time.perf_counter() - started
                print(f"{name:14s} n={args.count} p50={statistics.median(latencies):6.1f} ms "
                      f"p95={percentile(latencies, 0.95):6.1f} ms p99={percentile(latencies, 0.99):6.1f} ms "
                      f"max={max(latencies):6.1f} ms ({args.count / elapsed:.0f} webhooks/s)")

            def reply_latency(text: str, user: str) -> float:
                # the simulator, like Zalo, only delivers to users who wrote to the OA
                urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{sim_port}/_sim/users", headers={"Content-Type": "application/json"},
                    data=json.dumps({"oa_id": dev["ZALO_OA_ID"], "user_id": user}).encode()))
                sent_ms = time.time() * 1000
                deliver(0, text, user)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    with urllib.request.urlopen(f"http://127.0.0.1:{sim_port}/_sim/messages?user_id={user}") as r:
                        replies = json.loads(r.read())
                    if replies:
                        return replies[0]["time"] - sent_ms
                    time.sleep(0.005)
                raise RuntimeError(f"no reply to {text!r}")

            time.sleep(3)  # let the load above drain
            for name, text in (("SOS reply", "có trộm, cứu với"), ("question reply", "đăng ký tạm trú cần giấy tờ gì")):
                latencies = [reply_latency(text, f"7{len(name)}{i:016d}") for i in range(args.sos)]
                if latencies:
                    print(f"{name:14s} n={len(latencies)} p50={statistics.median(latencies):6.1f} ms "
                          f"p95={percentile(latencies, 0.95):6.1f} ms max={max(latencies):6.1f} ms "
                          "(webhook in -> reply call at the simulator)")
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
