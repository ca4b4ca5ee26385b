#!/usr/bin/env python3
"""A local stand-in for the Hugging Face Hub, for testing `gemma3 pull` (Python 3 stdlib only).

    fake_hub.py REPOS_DIR        serves REPOS_DIR/<org>/<name>/** as the repo org/name; prints the port

It answers like huggingface.co:
  GET  /api/models/{repo}/revision/{rev}     {"id", "sha", "siblings": [{"rfilename"}]}
  HEAD|GET /{repo}/resolve/{rev}/{file}      small files: 200 with ETag (git blob sha1) and X-Repo-Commit;
                                             LFS files (*.safetensors, tokenizer.json, tokenizer.model):
                                             302 to http://localhost:PORT/cdn/<sha256> (another host than
                                             the 127.0.0.1 endpoint) with X-Linked-Etag / X-Linked-Size
  HEAD|GET /cdn/{sha256}                     the LFS bytes; honours Range (206 + Content-Range)
Revisions: "main" and the commit hash (sha1 over the file list); anything else is RevisionNotFound.
Access: tokens "hf_good" (may read everything) and "hf_noaccess" (valid, but has not accepted any
gated licence); other tokens are invalid. REPOS_DIR/<org>/<name>.gated marks a gated repo; unknown
repos answer 401 without a valid token and 404 with one, as the Hub does. Errors carry X-Error-Code
and X-Error-Message.
Test controls:
  POST /_control {"cut": {"file": F, "at": N, "times": K}}   the next K GETs of F's bytes close the
                                                             connection at byte N (headers promised all)
                 {"corrupt": [F...]}                         serve F with one byte flipped
                 {"huge": [F...]}                            announce F as 2**50 bytes
                 {"fail": {"status": 503, "times": K}}       the next K requests of any kind get 503
                 {"ignore_range": true}                      answer range requests with the whole file
                 {"delay": S}                                wait S seconds before sending file bytes
  POST /_reset   drops all controls and the request log
  GET  /_log     [{"method", "path", "range", "auth"}...] every request since the last reset
"""
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".bin", ".model")
LFS_NAMES = ("tokenizer.json",)
TOKENS = {"hf_good": "full", "hf_noaccess": "no-gated"}


class Repo:
    def __init__(self, repo_id, root, gated):
        self.id, self.root, self.gated = repo_id, root, gated
        self.files = {}  # name -> dict(path, size, lfs, etag)
        for dirpath, _, names in os.walk(root):
            for n in sorted(names):
                full = os.path.join(dirpath, n)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                lfs = rel.endswith(LFS_SUFFIXES) or rel in LFS_NAMES
                self.files[rel] = {"path": full, "size": os.path.getsize(full), "lfs": lfs, "etag": self._etag(full, lfs)}
        listing = "".join(f"{k}:{v['etag']}\n" for k, v in sorted(self.files.items()))
        self.commit = hashlib.sha1(listing.encode()).hexdigest()

    @staticmethod
    def _etag(path, lfs):
        data = open(path, "rb").read()
        if lfs:
            return hashlib.sha256(data).hexdigest()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob id


class State:
    def __init__(self, repos_dir):
        self.lock = threading.Lock()
        self.repos = {}
        for org in sorted(os.listdir(repos_dir)):
            org_dir = os.path.join(repos_dir, org)
            if not os.path.isdir(org_dir):
                continue
            for name in sorted(os.listdir(org_dir)):
                d = os.path.join(org_dir, name)
                if os.path.isdir(d):
                    rid = f"{org}/{name}"
                    self.repos[rid] = Repo(rid, d, os.path.exists(d + ".gated"))
        self.by_sha = {}
        for repo in self.repos.values():
            for name, f in repo.files.items():
                if f["lfs"]:
                    self.by_sha[f["etag"]] = (repo, name)
        self.reset()

    def reset(self):
        self.controls = {}
        self.log = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a cut is a plain close

    def log_message(self, *args):
        pass

    # -- helpers ---------------------------------------------------------------------------------
    def send(self, status, body=b"", headers=None, content_type="application/json"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message):
        body = json.dumps({"error": message}).encode()
        self.send(status, body, {"X-Error-Code": code, "X-Error-Message": message})

    def token(self):
        auth = self.headers.get("Authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def access(self, repo_id, for_files):
        """None when allowed, else sends the Hub's error and returns True."""
        token = self.token()
        level = TOKENS.get(token) if token else None
        if token and level is None:
            return self.error(401, "", "Invalid credentials in Authorization header") or True
        repo = STATE.repos.get(repo_id)
        if repo is None:
            if level is None:
                return self.error(401, "RepoNotFound", "Repository Not Found for url. Please make sure you are authenticated.") or True
            return self.error(404, "RepoNotFound", f"Repository Not Found: {repo_id}") or True
        if repo.gated and for_files:
            if level is None:
                return self.error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must be authenticated to access it.") or True
            if level != "full":
                return self.error(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in the authorized list. "
                                  f"Visit https://huggingface.co/{repo_id} to ask for access.") or True
        return None

    def check_revision(self, repo, rev):
        if rev in ("main", repo.commit):
            return True
        self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return False

    def base(self, host):
        return f"http://{host}:{self.server.server_address[1]}"

    # -- routes ----------------------------------------------------------------------------------
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        with STATE.lock:
            if self.path == "/_reset":
                STATE.reset()
            elif self.path == "/_control":
                STATE.controls.update(json.loads(body))
            else:
                return self.error(404, "", "no such control")
        self.send(200, b"{}")

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()

    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_log":
            with STATE.lock:
                return self.send(200, json.dumps(STATE.log).encode())
        with STATE.lock:
            STATE.log.append({"method": self.command, "path": path, "range": self.headers.get("Range"),
                              "auth": self.headers.get("Authorization") is not None,
                              "host": self.headers.get("Host", "").split(":")[0]})
            fail = STATE.controls.get("fail")
            if fail and fail.get("times", 0) > 0:
                fail["times"] -= 1
                return self.error(fail.get("status", 503), "", "injected failure")
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        # /api/models/{org}/{name}/revision/{rev}
        if len(parts) == 7 and parts[1:3] == ["api", "models"] and parts[5] == "revision":
            return self.model_info(f"{parts[3]}/{parts[4]}", parts[6])
        # /{org}/{name}/resolve/{rev}/{file...}
        if len(parts) >= 6 and parts[3] == "resolve":
            return self.resolve(f"{parts[1]}/{parts[2]}", parts[4], "/".join(parts[5:]))
        if len(parts) == 3 and parts[1] == "cdn":
            found = STATE.by_sha.get(parts[2])
            if not found:
                return self.error(404, "", "no such object")
            return self.content(found[0], found[1], {"ETag": f'"{parts[2]}"'})
        return self.error(404, "", f"no route for {path}")

    def model_info(self, repo_id, rev):
        if self.access(repo_id, for_files=False):
            return
        repo = STATE.repos[repo_id]
        if not self.check_revision(repo, rev):
            return
        info = {"id": repo_id, "modelId": repo_id, "sha": repo.commit, "gated": "manual" if repo.gated else False,
                "siblings": [{"rfilename": n} for n in sorted(repo.files)]}
        self.send(200, json.dumps(info).encode())

    def resolve(self, repo_id, rev, name):
        if self.access(repo_id, for_files=True):
            return
        repo = STATE.repos[repo_id]
        if not self.check_revision(repo, rev):
            return
        f = repo.files.get(name)
        if f is None:
            return self.error(404, "EntryNotFound", f"{name} does not exist on \"{rev}\"")
        if f["lfs"]:
            size = 2 ** 50 if name in STATE.controls.get("huge", []) else f["size"]
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{f['etag']}\nsize {f['size']}\n".encode()
            headers = {"Location": f"{self.base('localhost')}/cdn/{f['etag']}?sig=fake",
                       "X-Linked-Etag": f'"{f["etag"]}"', "X-Linked-Size": str(size), "X-Repo-Commit": repo.commit,
                       "ETag": '"' + hashlib.sha1(pointer).hexdigest() + '"'}
            return self.send(302, b"Found. Redirecting", headers, "text/plain")
        return self.content(repo, name, {"ETag": f'"{f["etag"]}"', "X-Repo-Commit": repo.commit})

    def content(self, repo, name, headers):
        f = repo.files[name]
        data = open(f["path"], "rb").read()
        with STATE.lock:
            if name in STATE.controls.get("corrupt", []):
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            cut = STATE.controls.get("cut")
            ignore_range = STATE.controls.get("ignore_range", False)
            delay = STATE.controls.get("delay", 0)
        start = 0
        rng = self.headers.get("Range")
        status = 200
        headers = dict(headers, **{"Accept-Ranges": "bytes"})
        if rng and not ignore_range:
            first = rng[len("bytes="):].split("-")[0]
            start = int(first)
            if start >= len(data):
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self.send(416, b"", headers)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if self.command == "HEAD":
            return
        end = len(data)
        time.sleep(delay)
        with STATE.lock:
            if cut and cut.get("file") == name and cut.get("times", 0) > 0 and start < cut["at"]:
                cut["times"] -= 1
                end = cut["at"]
        for pos in range(start, end, 1 << 20):
            self.wfile.write(data[pos:min(end, pos + (1 << 20))])
        if end < len(data):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True


def main():
    global STATE
    STATE = State(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
