#!/usr/bin/env python3
"""`gemma3 pull` and `-m org/name` against tests/hub/fake_hub.py, a local server that behaves like
the Hugging Face Hub (model info API, resolve redirects to a CDN, LFS etags, ranges, 401/403/404).

    pull_test.py GEMMA3_BINARY WORKDIR

Repos served: acme/tiny (a real synthetic tiny checkpoint from `gemma3 synth`, public),
acme/gated (gated, small stand-in files), acme/sharded (model.safetensors.index.json + 2 shards).
Each check runs `gemma3` with its own HF_HOME, so caches never leak between checks.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN, WORK = sys.argv[1], os.path.abspath(sys.argv[2])
REPOS = os.path.join(WORK, "repos")


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def build_repos():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(REPOS)
    tiny_src = os.path.join(WORK, "tiny-src")
    subprocess.run([BIN, "synth", "--preset", "tiny", "--seed", "3", "-o", tiny_src], check=True, capture_output=True)
    tiny = os.path.join(REPOS, "acme", "tiny")
    os.makedirs(tiny)
    for name in os.listdir(tiny_src):
        os.symlink(os.path.join(tiny_src, name), os.path.join(tiny, name))
    with open(os.path.join(tiny, "README.md"), "w") as f:  # not a checkpoint file: never pulled
        f.write("# tiny\n")
    with open(os.path.join(tiny, ".gitattributes"), "w") as f:
        f.write("*.safetensors filter=lfs\n")

    gated = os.path.join(REPOS, "acme", "gated")
    os.makedirs(gated)
    for name, text in [("config.json", '{"model_type": "gemma3_text"}'), ("tokenizer.json", '{"model": {}}'),
                       ("tokenizer_config.json", "{}")]:
        with open(os.path.join(gated, name), "w") as f:
            f.write(text)
    with open(os.path.join(gated, "model.safetensors"), "wb") as f:
        f.write(os.urandom(300_000))
    open(gated + ".gated", "w").close()

    sharded = os.path.join(REPOS, "acme", "sharded")
    os.makedirs(sharded)
    for name, text in [("config.json", '{"model_type": "gemma3_text"}'), ("generation_config.json", "{}"),
                       ("tokenizer.json", '{"model": {}}'), ("special_tokens_map.json", "{}")]:
        with open(os.path.join(sharded, name), "w") as f:
            f.write(text)
    for i in (1, 2):
        with open(os.path.join(sharded, f"model-0000{i}-of-00002.safetensors"), "wb") as f:
            f.write(os.urandom(1_500_000))
    index = {"metadata": {"total_size": 3_000_000},
             "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors",
                            "c.weight": "model-00001-of-00002.safetensors"}}
    with open(os.path.join(sharded, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f)


class Hub:
    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_hub.py"), REPOS], stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()

    def post(self, path, body=None):
        req = urllib.request.Request(self.url + path, data=json.dumps(body or {}).encode(), method="POST")
        urllib.request.urlopen(req).read()

    def control(self, **kw):
        self.post("/_control", kw)

    def reset(self):
        self.post("/_reset")

    def log(self):
        return json.loads(urllib.request.urlopen(self.url + "/_log").read())


def run(args, home, token=None, endpoint=None, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "XDG_CACHE_HOME"}
    env["HF_HOME"] = home
    env["HOME"] = os.path.join(home, "user-home")  # so ~/.cache/huggingface/token is ours
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    if token:
        env["HF_TOKEN"] = token
    env.update(extra_env or {})
    p = subprocess.run([BIN] + args, env=env, input="", capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def repo_dir(home, repo):
    return os.path.join(home, "hub", "models--" + repo.replace("/", "--"))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_fail(result, *needles):
    rc, out, err = result
    expect(rc == 1, f"expected exit status 1, got {rc}; stderr:\n{err}")
    for n in needles:
        expect(n in err, f"stderr lacks {n!r}:\n{err}")
    expect("internal error" not in err and "Sanitizer" not in err, err)


def fresh_home(name):
    home = os.path.join(WORK, "homes", name)
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    return home


def content_gets(log, name_part=""):
    """GETs that transfer file bytes (CDN or resolve GETs), optionally only those of one file."""
    return [e for e in log if e["method"] == "GET" and (e["path"].startswith("/cdn/") or "/resolve/" in e["path"])
            and name_part in e["path"]]


# ---- checks -------------------------------------------------------------------------------------

def check_pull_layout_and_noop(hub):
    home = fresh_home("layout")
    rc, out, err = run(["pull", "acme/tiny"], home, endpoint=hub.url + "/")  # trailing '/' is fine
    expect(rc == 0, err)
    d = repo_dir(home, "acme/tiny")
    commit = open(os.path.join(d, "refs", "main")).read()
    expect(len(commit) == 40 and "\n" not in commit, f"refs/main = {commit!r}")
    snap = os.path.join(d, "snapshots", commit)
    expect(out.strip() == snap, f"stdout {out!r} is not the snapshot {snap}")
    src = os.path.join(REPOS, "acme", "tiny")
    names = sorted(os.listdir(snap))
    expect(names == ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                     "tokenizer_config.json"], f"snapshot holds {names}")
    for n in names:
        link = os.path.join(snap, n)
        target = os.readlink(link)
        expect(os.path.islink(link) and target.startswith("../../blobs/"), f"{n} -> {target}")
        expect(open(link, "rb").read() == open(os.path.join(src, n), "rb").read(), f"{n} differs from the repo")
    # LFS blobs are named by their sha256, small files by their git blob sha1 (as huggingface_hub does).
    expect(os.path.basename(os.readlink(os.path.join(snap, "model.safetensors"))) == sha256(os.path.join(src, "model.safetensors")), "blob name")
    cfg = open(os.path.join(src, "config.json"), "rb").read()
    expect(os.path.basename(os.readlink(os.path.join(snap, "config.json"))) ==
           hashlib.sha1(b"blob %d\0" % len(cfg) + cfg).hexdigest(), "config.json blob name")
    expect(not [f for f in os.listdir(os.path.join(d, "blobs")) if f.endswith(".incomplete")], "an .incomplete is left")
    expect("README.md" not in names, "README.md was pulled")
    expect("5 files, 5 downloaded" in err, err)

    hub.reset()
    rc, out2, err = run(["pull", "acme/tiny"], home, endpoint=hub.url, token="hf_good")
    expect(rc == 0 and out2 == out, err)
    expect("0 downloaded" in err and "already up to date" in err, err)
    expect(content_gets(hub.log()) == [], f"a second pull downloaded: {content_gets(hub.log())}")
    return home


def check_token_not_sent_to_cdn(hub):
    home = fresh_home("cdn-auth")
    hub.reset()
    rc, out, err = run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_good")
    expect(rc == 0, err)
    log = hub.log()
    cdn = [e for e in log if e["path"].startswith("/cdn/")]
    hub_side = [e for e in log if not e["path"].startswith("/cdn/")]
    expect(cdn and not any(e["auth"] for e in cdn), f"the token went to the CDN host: {cdn}")
    expect(all(e["auth"] for e in hub_side), f"a Hub request lacked the token: {hub_side}")


def check_model_flag_from_cache(hub, home):
    # No token, and an endpoint nobody listens on: -m must come from the cache alone.
    dead = "http://127.0.0.1:9"
    rc, out, err = run(["generate", "-m", "acme/tiny", "-p", "hi", "-n", "3", "--temp", "0"], home, endpoint=dead)
    expect(rc == 0, err)
    expect("snapshots" in err and "loaded" in err, err)
    # With a token, -m pulls first (a no-op here: nothing downloaded) and then runs.
    # (bench from here on: it loads no tokenizer, whose 33 MB take seconds under ASan)
    hub.reset()
    rc, out, err = run(["bench", "-m", "acme/tiny", "-p", "4", "-n", "2"], home, endpoint=hub.url, token="hf_good")
    expect(rc == 0 and "already" not in err, err)
    expect(content_gets(hub.log()) == [], "-m downloaded although the cache was current")
    expect(any(e["path"].startswith("/api/models/acme/tiny") for e in hub.log()), "-m with a token did not ask the Hub")
    # HF_HUB_OFFLINE=1: the cache only, even with a token (the endpoint is dead: no warning means no try).
    rc, out, err = run(["bench", "-m", "acme/tiny", "-p", "4", "-n", "2"], home, endpoint=dead, token="hf_good",
                       extra_env={"HF_HUB_OFFLINE": "1"})
    expect(rc == 0 and "warning" not in err and "retry" not in err, err)
    # With a token but no Hub reachable, the cached copy is used, with a warning that says why.
    rc, out, err = run(["bench", "-m", "acme/tiny", "-p", "4", "-n", "2"], home, endpoint=dead, token="hf_good")
    expect(rc == 0 and "using the cached copy" in err and "cannot reach" in err, err)
    # Not cached, no token: a message that says how to get it.
    expect_fail(run(["generate", "-m", "acme/other", "-p", "hi"], home, endpoint=dead),
                "acme/other is not in the Hugging Face cache", "gemma3 pull acme/other")
    # With a token, -m downloads into an empty cache itself.
    home2 = fresh_home("m-download")
    rc, out, err = run(["bench", "-m", "acme/tiny", "-p", "4", "-n", "2"], home2, endpoint=hub.url, token="hf_good")
    expect(rc == 0, err)
    expect(os.path.exists(os.path.join(repo_dir(home2, "acme/tiny"), "refs", "main")), "no refs/main after -m")
    # A folder path is still a folder: no Hub lookup for ./x/y.
    expect_fail(run(["generate", "-m", "./acme/tiny", "-p", "hi"], home, endpoint=dead), "does not exist")


def check_auth_errors(hub):
    home = fresh_home("auth")
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url), "401", "no Hugging Face token", "HF_TOKEN")
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_wrong"), "401", "from HF_TOKEN", "rejected")
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_noaccess"), "403", "licence",
                f"Accept it at {hub.url}/acme/gated")
    # Nothing of a refused pull lands in the cache.
    d = repo_dir(home, "acme/gated")
    expect(not os.path.exists(os.path.join(d, "refs")) and not os.path.exists(os.path.join(d, "snapshots")), "cache written")
    # The token file `huggingface-cli login` writes ($HF_HOME/token), and $HF_TOKEN_PATH before it.
    with open(os.path.join(home, "token"), "w") as f:
        f.write("hf_noaccess\n")
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url), "403", os.path.join(home, "token"))
    good = os.path.join(home, "good-token")
    with open(good, "w") as f:
        f.write("  hf_good\n")
    rc, out, err = run(["pull", "acme/gated"], home, endpoint=hub.url, extra_env={"HF_TOKEN_PATH": good})
    expect(rc == 0, err)
    # ~/.cache/huggingface/token when HF_HOME is not set.
    user_home = os.path.join(home, "user-home")
    os.makedirs(os.path.join(user_home, ".cache", "huggingface"))
    with open(os.path.join(user_home, ".cache", "huggingface", "token"), "w") as f:
        f.write("hf_noaccess")
    env = {"HF_HUB_CACHE": os.path.join(home, "other-hub")}
    p = subprocess.run([BIN, "pull", "acme/gated"], capture_output=True, text=True, timeout=60,
                       env={**{k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "XDG_CACHE_HOME"}, "HOME": user_home,
                            "HF_ENDPOINT": hub.url, **env})
    expect(p.returncode == 1 and "403" in p.stderr and ".cache/huggingface/token" in p.stderr, p.stderr)


def check_not_found(hub):
    home = fresh_home("404")
    expect_fail(run(["pull", "acme/missing"], home, endpoint=hub.url, token="hf_good"), "404", "acme/missing not found")
    expect_fail(run(["pull", "acme/missing"], home, endpoint=hub.url), "401")  # the Hub hides unknown repos from anonymous users
    expect_fail(run(["pull", "acme/tiny", "--revision", "nope"], home, endpoint=hub.url), "404", "revision 'nope' not found")
    expect_fail(run(["pull", "acme//bad"], home, endpoint=hub.url), "not a Hugging Face repo id")
    expect_fail(run(["pull", "acme/tiny", "--retries", "1"], home, endpoint="http://127.0.0.1:9"), "cannot reach", "HF_ENDPOINT")


def check_revision_by_commit(hub, layout_home):
    commit = open(os.path.join(repo_dir(layout_home, "acme/tiny"), "refs", "main")).read()
    home = fresh_home("by-commit")
    rc, out, err = run(["pull", "acme/tiny", "--revision", commit], home, endpoint=hub.url)
    expect(rc == 0 and out.strip().endswith(commit), err)
    expect(not os.path.exists(os.path.join(repo_dir(home, "acme/tiny"), "refs")), "a commit revision wrote a ref")


def check_sharded(hub):
    home = fresh_home("sharded")
    rc, out, err = run(["pull", "acme/sharded"], home, endpoint=hub.url)
    expect(rc == 0, err)
    snap = out.strip()
    names = sorted(os.listdir(snap))
    expect(names == ["config.json", "generation_config.json", "model-00001-of-00002.safetensors",
                     "model-00002-of-00002.safetensors", "model.safetensors.index.json", "special_tokens_map.json",
                     "tokenizer.json"], names)


SHARD1 = "model-00001-of-00002.safetensors"
SHARD2 = "model-00002-of-00002.safetensors"


def check_cut_and_retry(hub):
    home = fresh_home("cut")
    hub.reset()
    hub.control(cut={"file": SHARD1, "at": 600_000, "times": 1})
    rc, out, err = run(["pull", "acme/sharded"], home, endpoint=hub.url)
    expect(rc == 0, err)
    expect("retry 1 of 5" in err, err)
    ranges = [e["range"] for e in content_gets(hub.log(), "")]
    expect("bytes=600000-" in ranges, f"no resumed range request: {ranges}")
    snap = out.strip()
    expect(sha256(os.path.join(snap, SHARD1)) == sha256(os.path.join(REPOS, "acme", "sharded", SHARD1)), "resumed file differs")


def check_resume_across_runs(hub):
    home = fresh_home("resume")
    hub.reset()
    hub.control(cut={"file": SHARD2, "at": 700_000, "times": 100})
    expect_fail(run(["pull", "acme/sharded", "--retries", "0"], home, endpoint=hub.url), "kept in", ".incomplete")
    d = repo_dir(home, "acme/sharded")
    etag = sha256(os.path.join(REPOS, "acme", "sharded", SHARD2))
    part = os.path.join(d, "blobs", etag + ".incomplete")
    expect(os.path.getsize(part) == 700_000, f"partial size {os.path.getsize(part)}")
    expect(not os.path.exists(os.path.join(d, "blobs", etag)), "a partial file became a blob")
    expect(not os.path.lexists(os.path.join(d, "snapshots")) or not any(
        SHARD2 in files for _, _, files in os.walk(os.path.join(d, "snapshots"))), "the partial file is linked")
    expect(not os.path.exists(os.path.join(d, "refs", "main")), "refs/main written for an unfinished pull")
    hub.reset()
    rc, out, err = run(["pull", "acme/sharded"], home, endpoint=hub.url)
    expect(rc == 0, err)
    expect("resuming at" in err, err)
    ranges = [e["range"] for e in content_gets(hub.log(), etag)]
    expect(ranges == ["bytes=700000-"], f"shard 2 requests: {ranges}")
    expect(sha256(os.path.join(out.strip(), SHARD2)) == etag, "resumed shard differs")
    # A server that ignores Range: the part is dropped and the whole file fetched again.
    home = fresh_home("resume-ignored")
    hub.reset()
    hub.control(cut={"file": SHARD2, "at": 500_000, "times": 1}, ignore_range=True)
    rc, out, err = run(["pull", "acme/sharded"], home, endpoint=hub.url)
    expect(rc == 0 and sha256(os.path.join(out.strip(), SHARD2)) == etag, err)


def check_corruption(hub):
    home = fresh_home("corrupt")
    hub.reset()
    hub.control(corrupt=[SHARD1])
    expect_fail(run(["pull", "acme/sharded"], home, endpoint=hub.url), "sha256 mismatch", SHARD1, "not used")
    d = repo_dir(home, "acme/sharded")
    etag = sha256(os.path.join(REPOS, "acme", "sharded", SHARD1))
    blobs = os.listdir(os.path.join(d, "blobs"))
    expect(etag not in blobs and etag + ".incomplete" not in blobs, f"corrupt data kept: {blobs}")
    linked = [f for _, _, files in os.walk(os.path.join(d, "snapshots")) for f in files]
    expect(SHARD1 not in linked, "the corrupt shard is linked into the snapshot")
    hub.reset()
    rc, out, err = run(["pull", "acme/sharded"], home, endpoint=hub.url)
    expect(rc == 0 and sha256(os.path.join(out.strip(), SHARD1)) == etag, err)


def check_disk_errors(hub):
    home = fresh_home("disk")
    d = repo_dir(home, "acme/gated")
    etag = sha256(os.path.join(REPOS, "acme", "gated", "model.safetensors"))
    os.makedirs(os.path.join(d, "blobs"))
    os.symlink("/dev/full", os.path.join(d, "blobs", etag + ".incomplete"))  # every write: ENOSPC
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_good"), "the disk is full", "HF_HUB_CACHE")
    expect(not os.path.exists(os.path.join(d, "blobs", etag)), "a blob appeared")
    home = fresh_home("huge")
    hub.reset()
    hub.control(huge=["model.safetensors"])
    expect_fail(run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_good"), "not enough disk space",
                "model.safetensors", "1.0 PiB")


def check_progress_bar_on_terminal(hub):
    """On a terminal (a pty here) progress is one redrawn bar line: percent, bytes, rate, time left."""
    import pty
    import select
    home = fresh_home("tty")
    hub.reset()
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "XDG_CACHE_HOME"}
    env.update(HF_HOME=home, HF_ENDPOINT=hub.url)
    p = subprocess.Popen([BIN, "pull", "acme/sharded"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    p.wait(timeout=60)
    text = b"".join(chunks).decode(errors="replace")
    expect(p.returncode == 0, text)
    expect("\r" in text and "\033[K" in text, f"no redrawn line: {text!r}")
    bar_line = [l for l in text.replace("\r", "\n").split("\n") if SHARD1 in l and "100%" in l]
    expect(bar_line and "[" in bar_line[-1] and "/s" in bar_line[-1] and "ETA" in bar_line[-1] and "1.4 MiB / 1.4 MiB" in bar_line[-1],
           f"no finished bar for {SHARD1}: {text!r}")
    expect("downloading " + SHARD1 not in text, "plain lines on a terminal")


def check_concurrent_pulls(hub):
    """Two pulls into one cache at once: each blob is downloaded once (the other waits on its lock)."""
    home = fresh_home("concurrent")
    hub.reset()
    hub.control(delay=0.2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "XDG_CACHE_HOME"}
    env.update(HF_HOME=home, HF_ENDPOINT=hub.url)
    procs = [subprocess.Popen([BIN, "pull", "acme/sharded"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        expect(p.returncode == 0, err)
    expect(results[0][0] == results[1][0], "the two pulls report different snapshots")
    gets = {}
    for e in content_gets(hub.log()):
        gets[e["path"]] = gets.get(e["path"], 0) + 1
    src = os.path.join(REPOS, "acme", "sharded")
    distinct = {open(os.path.join(src, n), "rb").read() for n in os.listdir(src)}  # equal files share a blob
    expect(len(gets) == len(distinct) and all(n == 1 for n in gets.values()), f"downloads per file: {gets}")
    snap = results[0][0].strip()
    for n in os.listdir(snap):
        expect(open(os.path.join(snap, n), "rb").read() == open(os.path.join(REPOS, "acme", "sharded", n), "rb").read(), n)


def check_server_errors_retry(hub):
    home = fresh_home("503")
    hub.reset()
    hub.control(fail={"status": 503, "times": 2})
    rc, out, err = run(["pull", "acme/gated"], home, endpoint=hub.url, token="hf_good")
    expect(rc == 0 and "HTTP 503" in err and "retry 2 of 5" in err, err)
    hub.reset()
    hub.control(fail={"status": 503, "times": 100})
    expect_fail(run(["pull", "acme/gated", "--retries", "1"], home, endpoint=hub.url, token="hf_good"), "HTTP 503")


def main():
    build_repos()
    failures = 0
    with Hub() as hub:
        layout_home = None
        checks = [("pull_layout_and_noop", lambda: check_pull_layout_and_noop(hub)),
                  ("token_not_sent_to_cdn", lambda: check_token_not_sent_to_cdn(hub)),
                  ("model_flag_from_cache", lambda: check_model_flag_from_cache(hub, layout_home)),
                  ("revision_by_commit", lambda: check_revision_by_commit(hub, layout_home)),
                  ("auth_errors", lambda: check_auth_errors(hub)),
                  ("not_found", lambda: check_not_found(hub)),
                  ("sharded", lambda: check_sharded(hub)),
                  ("cut_and_retry", lambda: check_cut_and_retry(hub)),
                  ("resume_across_runs", lambda: check_resume_across_runs(hub)),
                  ("corruption", lambda: check_corruption(hub)),
                  ("disk_errors", lambda: check_disk_errors(hub)),
                  ("server_errors_retry", lambda: check_server_errors_retry(hub)),
                  ("concurrent_pulls", lambda: check_concurrent_pulls(hub)),
                  ("progress_bar_on_terminal", lambda: check_progress_bar_on_terminal(hub))]
        for name, fn in checks:
            try:
                start = time.monotonic()
                result = fn()
                if name == "pull_layout_and_noop":
                    layout_home = result
                print(f"ok   {name} ({time.monotonic() - start:.1f} s)", flush=True)
            except Exception:
                failures += 1
                print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    print(f"{len(checks) - failures} of {len(checks)} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
