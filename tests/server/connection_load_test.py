#!/usr/bin/env python3
"""Hostile connections against the real `gemma3 serve` (synthetic tiny checkpoint, loopback only).

1,000 idle connections plus 200 that send their request a byte at a time stay open while:
  - a normal chat completion answers within 1 s, and /health within 100 ms;
  - a burst of streaming requests beyond --max-running + --max-waiting gets 429 + Retry-After at
    once for the excess, while the accepted ones complete;
then every connection closes and the server is idle again (gemma3_requests_running 0). Prints the
server's memory per idle connection (RSS delta / connections).

Then graceful shutdown: SIGTERM while one long stream runs and one idle connection is open:
new connections are refused, the stream ends (finished, or with the shutting_down event and
[DONE] at the --shutdown-timeout deadline), and the process exits 0 well within the deadline + 3 s.

usage: connection_load_test.py GEMMA3_BIN WORK_DIR
"""
import http.client
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

IDLE, SLOW = 1000, 200
MAX_RUNNING, MAX_WAITING = 2, 4


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def start_server(binary, ckpt, extra):
    proc = subprocess.Popen([binary, "serve", "-m", ckpt, "--port", "0", "-t", "1", "--quiet", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    port = None
    deadline = time.time() + 60
    while port is None:
        line = proc.stderr.readline()
        if not line or time.time() > deadline:
            fail("server did not start: " + "".join(log))
        log.append(line)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    # Keep draining stderr so the server never blocks on a full pipe.
    threading.Thread(target=lambda: log.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    while time.time() < deadline:
        try:
            if get(port, "/health")[0] == 200:
                return proc, port, log
        except OSError:
            pass
        time.sleep(0.05)
    fail("server not ready: " + "".join(log))


def request(port, method, path, body=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def get(port, path):
    return request(port, "GET", path, timeout=5)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric(port, name):
    text = get(port, "/metrics")[1].decode()
    m = re.search(r"^" + name + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def chat(max_tokens, stream=False):
    return {"messages": [{"role": "user", "content": "Tell me a story about a river."}],
            "max_tokens": max_tokens, "temperature": 0, "stream": stream}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000


def load_case(binary, ckpt):
    proc, port, log = start_server(binary, ckpt, ["--max-running", str(MAX_RUNNING), "--max-waiting", str(MAX_WAITING),
                                                 "--header-timeout", "120", "--io-threads", "2"])
    try:
        # Warm up (first request allocates the engine's buffers), then the baseline.
        status, _, _ = request(port, "POST", "/v1/chat/completions", chat(4))
        if status != 200:
            fail(f"warm-up chat: {status}")
        time.sleep(0.2)
        rss_before = rss_kib(proc.pid)

        idle = []
        for i in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        slow = []
        for i in range(SLOW):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        stop_trickle = threading.Event()

        def trickle():   # one more header byte per connection every 100 ms
            while not stop_trickle.wait(0.1):
                for s in slow:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass
        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        time.sleep(0.5)
        rss_after = rss_kib(proc.pid)
        per_conn = (rss_after - rss_before) * 1024 / (IDLE + SLOW)
        print(f"memory: RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB with {IDLE} idle + {SLOW} slow "
              f"connections: {per_conn / 1024:.1f} KiB per connection")

        healths = []
        for _ in range(5):
            (st, _, _), ms = timed(lambda: get(port, "/health"))
            if st != 200:
                fail(f"/health {st}")
            healths.append(ms)
        (st, body, _), chat_ms = timed(lambda: request(port, "POST", "/v1/chat/completions", chat(8)))
        if st != 200:
            fail(f"chat under idle load: {st} {body[:200]}")
        print(f"under {IDLE + SLOW} open connections: chat completion {chat_ms:.0f} ms, /health "
              f"median {statistics.median(healths):.1f} ms (max {max(healths):.1f})")
        if chat_ms > 1000:
            fail(f"chat took {chat_ms:.0f} ms (> 1 s)")
        if statistics.median(healths) > 100:
            fail(f"/health median {statistics.median(healths):.1f} ms (> 100 ms)")

        # A burst past the queue: 24 streams at once with max-running 2 + max-waiting 4.
        results = []
        lock = threading.Lock()

        def one():
            t0 = time.perf_counter()
            try:
                st, body, r = request(port, "POST", "/v1/chat/completions", chat(48, stream=True), timeout=120)
                out = (st, (time.perf_counter() - t0) * 1000, r.getheader("Retry-After"), body)
            except OSError as e:
                out = (0, 0, None, str(e).encode())
            with lock:
                results.append(out)
        burst = [threading.Thread(target=one) for _ in range(24)]
        for t in burst:
            t.start()
        time.sleep(0.05)
        busy_health = []
        for _ in range(5):
            (st, _, _), ms = timed(lambda: get(port, "/health"))
            busy_health.append(ms)
        for t in burst:
            t.join()
        ok = [r for r in results if r[0] == 200]
        busy = [r for r in results if r[0] == 429]
        other = [r for r in results if r[0] not in (200, 429)]
        print(f"burst of 24 streams: {len(ok)} served, {len(busy)} got 429 (slowest 429 after "
              f"{max([r[1] for r in busy] or [0]):.0f} ms); /health during it: median "
              f"{statistics.median(busy_health):.1f} ms")
        if other:
            fail(f"unexpected answers: {[(r[0], r[3][:100]) for r in other]}")
        if not busy or any(r[2] != "1" for r in busy):
            fail("expected 429s with Retry-After: 1 past the queue")
        # The engine counts requests not yet admitted to its running set as waiting, so a burst
        # that arrives before its first step is admitted up to --max-waiting (and up to
        # --max-running + --max-waiting once the engine has moved the first ones to running).
        if len(ok) < MAX_WAITING:
            fail(f"only {len(ok)} served; the queue holds {MAX_WAITING} waiting + {MAX_RUNNING} running")
        if any(b"data: [DONE]" not in r[3] for r in ok):
            fail("a served stream did not complete")
        if max(r[1] for r in busy) > 1000:
            fail("a 429 was not immediate")
        if statistics.median(busy_health) > 100:
            fail(f"/health during the burst: median {statistics.median(busy_health):.1f} ms (> 100 ms)")

        stop_trickle.set()
        trickler.join()
        for s in idle + slow:
            s.close()
        for _ in range(100):
            if metric(port, "gemma3_requests_running") == 0:
                break
            time.sleep(0.05)
        if metric(port, "gemma3_requests_running") != 0:
            fail("requests still running at the end")
    finally:
        proc.kill()
        proc.wait()
    errors = [l for l in log if "error" in l.lower() and "[http]" not in l]
    if errors:
        fail("errors in the server log: " + "".join(errors[:5]))


def shutdown_case(binary, ckpt):
    deadline_s = 2
    proc, port, log = start_server(binary, ckpt, ["--shutdown-timeout", str(deadline_s)])
    idle = socket.create_connection(("127.0.0.1", port))
    # A stream far longer than the deadline, read as it comes.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/v1/chat/completions", body=json.dumps(chat(100000 // 100, stream=True)),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    first = r.read1(4096)
    if r.status != 200 or not first:
        fail(f"stream did not start: {r.status}")
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        fail("still accepting connections after SIGTERM")
    except OSError:
        pass
    idle.settimeout(5)
    if idle.recv(1) != b"":
        fail("the idle connection was not closed")
    rest = r.read()
    code = proc.wait(timeout=deadline_s + 10)
    took = time.perf_counter() - t0
    body = (first + rest).decode()
    print(f"SIGTERM: exit {code} after {took:.2f} s (deadline {deadline_s} s); the stream ended "
          + ("with shutting_down" if "shutting_down" in body else "finished"))
    if code != 0:
        fail(f"exit code {code}: {''.join(log[-5:])}")
    if not body.endswith("data: [DONE]\n\n"):
        fail("the stream did not end with [DONE]: " + body[-200:])
    if took > deadline_s + 3:
        fail(f"shutdown took {took:.1f} s")


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    binary, work = sys.argv[1], sys.argv[2]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < IDLE + SLOW + 100:
        fail(f"the open-file limit ({hard}) is too low for {IDLE + SLOW} connections")
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "tiny")
    if not os.path.exists(os.path.join(ckpt, "config.json")):
        subprocess.run([binary, "synth", "--preset", "tiny", "--seed", "1", "-o", ckpt], check=True,
                       stdout=subprocess.DEVNULL)
    load_case(binary, ckpt)
    shutdown_case(binary, ckpt)
    print("PASS")


if __name__ == "__main__":
    main()
