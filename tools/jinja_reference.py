#!/usr/bin/python3
"""Python Jinja2 reference for src/jinja/: renders chat templates exactly as transformers'
apply_chat_template does, and compares our engine with it.

Needs Debian's python3-jinja2 (run with /usr/bin/python3). The environment is set up as
transformers' _compile_jinja_template: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) with the loopcontrols extension and a {% generation %} tag that renders its body,
`tojson` replaced by json.dumps(ensure_ascii=False, ...), and the globals raise_exception and
strftime_now.

  jinja_reference.py --render TEMPLATE CONTEXT_JSON   print Python's rendering (or its error)
  jinja_reference.py --compare --jinja-render BIN     render every (template, conversation) pair
                                                      of tests/data/jinja with Python and with BIN
                                                      (tests/jinja/jinja_render_main.cc); fail
                                                      unless each pair is byte-identical or both
                                                      fail

Corpus: tests/data/jinja/templates/*.jinja (sources in tests/data/jinja/SOURCES.md) and
tests/data/jinja/conversations.json: [{"name", "messages", "tools"?, "add_generation_prompt"?,
...extra kwargs}]. Every template also sees the special tokens in SPECIAL_TOKENS.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "jinja")

SPECIAL_TOKENS = {
    "bos_token": "<bos>",
    "eos_token": "<eos>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
}


class TemplateError(Exception):
    pass


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' replacement for Jinja's tojson: no HTML escaping.
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: renders its body (transformers tracks the span)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.Scope(body, lineno=lineno)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def context_for(conversation):
    ctx = dict(SPECIAL_TOKENS)
    ctx["tools"] = None
    ctx["add_generation_prompt"] = True
    for k, v in conversation.items():
        if k != "name":
            ctx[k] = v
    return ctx


def python_render(env, source, ctx, compiled=None):
    try:
        if compiled is None:
            compiled = env.from_string(source)
        return {"text": compiled.render(**ctx)}
    except Exception as e:  # TemplateError, UndefinedError, TypeError, SecurityError, syntax errors
        return {"error": f"{type(e).__name__}: {e}"}


def compare(binary):
    env = environment()
    tdir = os.path.join(DATA, "templates")
    templates = sorted(f for f in os.listdir(tdir) if f.endswith(".jinja"))
    with open(os.path.join(DATA, "conversations.json"), encoding="utf-8") as f:
        conversations = json.load(f)
    jobs, expected = [], []
    for t in templates:
        path = os.path.join(tdir, t)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        try:
            compiled = env.from_string(source)   # compiled once per template, as a server would
        except Exception:
            compiled = None                      # python_render reports the syntax error per pair
        for conv in conversations:
            ctx = context_for(conv)
            jobs.append({"template": path, "context": ctx})
            expected.append((t, conv["name"], python_render(env, source, ctx, compiled)))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(jobs, f, ensure_ascii=False)
        jobs_path = f.name
    try:
        out = subprocess.run([binary, "--batch", jobs_path], capture_output=True, check=True).stdout
    finally:
        os.unlink(jobs_path)
    answers = json.loads(out.decode("utf-8"))
    assert len(answers) == len(expected)
    matched, both_failed, mismatches = 0, 0, []
    per_template = {}
    for (t, name, want), got in zip(expected, answers):
        stats = per_template.setdefault(t, [0, 0])
        stats[1] += 1
        if "text" in want and "text" in got and want["text"] == got["text"]:
            matched += 1
            stats[0] += 1
        elif "error" in want and "error" in got and (
                not want["error"].startswith("TemplateError: ")
                or got["error"] == "render error: " + want["error"][len("TemplateError: "):]):
            # Both fail; a raise_exception() must also carry the template's message verbatim.
            both_failed += 1
            stats[0] += 1
        else:
            mismatches.append((t, name, want, got))
    for t, (ok, n) in sorted(per_template.items()):
        print(f"{t}: {ok}/{n}")
    for t, name, want, got in mismatches[:20]:
        if "text" in want and "text" in got:
            a, b = want["text"], got["text"]
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            want = {"text from offset %d" % max(0, i - 80): a[max(0, i - 80):i + 200]}
            got = {"text from offset %d" % max(0, i - 80): b[max(0, i - 80):i + 200]}
        print(f"MISMATCH {t} x {name}:\n  python: {json.dumps(want, ensure_ascii=False)[:600]}\n"
              f"  ours:   {json.dumps(got, ensure_ascii=False)[:600]}")
    kinds = {}
    for _, _, want in expected:
        if "error" in want:
            k = want["error"].split(":", 1)[0]
            kinds[k] = kinds.get(k, 0) + 1
    print("Python's failures by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    total = len(expected)
    print(f"{total} pairs ({len(templates)} templates x {len(conversations)} conversations): "
          f"{matched} identical renders, {both_failed} failing in both, {len(mismatches)} mismatches")
    return 0 if not mismatches else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--render", nargs=2, metavar=("TEMPLATE", "CONTEXT"))
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--jinja-render")
    args = ap.parse_args()
    if args.render:
        with open(args.render[0], encoding="utf-8") as f:
            source = f.read()
        with open(args.render[1], encoding="utf-8") as f:
            ctx = json.load(f)
        r = python_render(environment(), source, ctx)
        if "error" in r:
            print(r["error"], file=sys.stderr)
            return 1
        sys.stdout.write(r["text"])
        return 0
    if args.compare:
        if not args.jinja_render:
            ap.error("--compare needs --jinja-render BIN")
        return compare(args.jinja_render)
    ap.error("nothing to do")


if __name__ == "__main__":
    sys.exit(main())
