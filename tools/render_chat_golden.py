#!/usr/bin/python3
"""Renders the chat-template cases with the real Gemma 3 Jinja template, the way Hugging Face does.

Gemma 3's template through our Jinja engine (src/jinja, src/chat) must match it byte for byte.

Needs Debian's python3-jinja2 (run with /usr/bin/python3).

  render_chat_golden.py --write               re-render tests/data/chat/golden.json from cases.json
  render_chat_golden.py --check               fail if golden.json differs from a live render
  render_chat_golden.py --check --gemma3 BIN  also run `BIN template -m TOKENIZER_DIR` on every case
                                              and compare its stdout (or its error) with the render

Each case is {"name", "messages", "add_generation_prompt" (default true), "error" (optional)}.
Before rendering, OpenAI's "developer" role becomes "system" (our documented mapping). A case with
"error" must make our implementation fail with a message containing that text; the golden file also
records what Jinja does with it (it raises for most, and is merely more lenient for the rest:
unknown roles, image parts, non-string text).
"""
import argparse
import json
import os
import subprocess
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "data", "chat", "cases.json")
GOLDEN = os.path.join(ROOT, "tests", "data", "chat", "golden.json")


def tokenizer_dir():
    out = subprocess.run([os.path.join(ROOT, "tools", "fetch_tokenizer.sh")], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


class TemplateError(Exception):
    pass


def raise_exception(message):
    raise TemplateError(message)


def load_template(tok_dir):
    with open(os.path.join(tok_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    # As transformers' _compile_jinja_template: sandboxed, trim_blocks + lstrip_blocks, loopcontrols.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.globals["raise_exception"] = raise_exception
    return env.from_string(config["chat_template"]), config


def openai_to_template(messages):
    out = []
    for m in messages:
        if isinstance(m, dict) and m.get("role") == "developer":
            m = dict(m, role="system")
        out.append(m)
    return out


def render(template, config, case):
    try:
        text = template.render(messages=openai_to_template(case["messages"]),
                               add_generation_prompt=case.get("add_generation_prompt", True),
                               bos_token=config["bos_token"], eos_token=config["eos_token"])
        return {"jinja_text": text}
    except Exception as e:  # TemplateError, UndefinedError, TypeError: all mean "no prompt"
        return {"jinja_error": f"{type(e).__name__}: {e}"}


def golden_entries(template, config, cases):
    entries = []
    for case in cases:
        entry = {"name": case["name"], "add_generation_prompt": case.get("add_generation_prompt", True),
                 "messages": case["messages"]}
        rendered = render(template, config, case)
        if "error" in case:
            entry["error"] = case["error"]
            entry.update(rendered)
        elif "jinja_error" in rendered:
            raise SystemExit(f"case {case['name']}: Jinja failed ({rendered['jinja_error']}) but the "
                             "case expects a prompt; add an \"error\" field")
        else:
            entry["text"] = rendered["jinja_text"]
        entries.append(entry)
    return entries


def run_gemma3(binary, tok_dir, entry):
    cmd = [binary, "template", "-m", tok_dir]
    if not entry["add_generation_prompt"]:
        cmd.append("--no-generation-prompt")
    proc = subprocess.run(cmd, input=json.dumps(entry["messages"]).encode("utf-8"), capture_output=True,
                          timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite golden.json")
    parser.add_argument("--check", action="store_true", help="compare golden.json with a live render")
    parser.add_argument("--gemma3", help="path of the built gemma3 program to check against the render")
    parser.add_argument("--tokenizer-dir", help="folder with tokenizer_config.json (default: fetch_tokenizer.sh)")
    args = parser.parse_args()
    if args.write == args.check:
        parser.error("give exactly one of --write, --check")

    tok_dir = args.tokenizer_dir or tokenizer_dir()
    template, config = load_template(tok_dir)
    with open(CASES, encoding="utf-8") as f:
        cases = json.load(f)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit("cases.json: duplicate case names")
    entries = golden_entries(template, config, cases)

    if args.write:
        with open(GOLDEN, "w", encoding="utf-8") as f:
            json.dump(entries, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"wrote {len(entries)} cases to {GOLDEN}")
        return 0

    failures = 0
    with open(GOLDEN, encoding="utf-8") as f:
        golden = json.load(f)
    if golden != entries:
        print("golden.json differs from a live Jinja render of cases.json: run tools/render_chat_golden.py --write")
        failures += 1
    if args.gemma3:
        for entry in entries:
            rc, out, err = run_gemma3(args.gemma3, tok_dir, entry)
            if "error" in entry:
                if rc != 1 or entry["error"] not in err:
                    print(f"FAIL {entry['name']}: expected exit 1 and an error containing {entry['error']!r}, "
                          f"got exit {rc}, stderr {err!r}, stdout {out!r}")
                    failures += 1
            elif rc != 0 or out != entry["text"]:
                print(f"FAIL {entry['name']}: exit {rc}\n  jinja:  {entry['text']!r}\n  gemma3: {out!r}\n  stderr: {err!r}")
                failures += 1
        print(f"checked {len(entries)} cases against {args.gemma3}: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
