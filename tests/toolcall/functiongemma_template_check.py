#!/usr/bin/env python3
"""FunctionGemma-style checkpoints end to end, against Python Jinja2 (set up as transformers does).

1. `gemma3 synth --tokenizer functiongemma` writes a checkpoint whose tokenizer_config.json carries
   the FunctionGemma-style template.
2. Jinja2 renders tests/data/toolcall/functiongemma_cases.json with that template and must give each
   case's `expected` text (the documented FunctionGemma prompt format) or its `error`.
3. `gemma3 template` must print the same bytes (or fail on the same cases), and `--ids` must turn the
   template's markers into FunctionGemma's tokens 46-52 while a user's text that spells them stays text.

usage: functiongemma_template_check.py GEMMA3 WORK_DIR [--update]
"""
import json
import os
import subprocess
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "data", "toolcall", "functiongemma_cases.json")


def jinja_render(template, case):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(message):
        raise ValueError(message)

    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(messages=case["messages"], tools=case.get("tools"),
                                            add_generation_prompt=True, bos_token="<bos>", eos_token="<eos>")


def main():
    gemma3, work = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    model = os.path.join(work, "functiongemma-tiny")
    subprocess.run([gemma3, "synth", "--preset", "tiny", "--tokenizer", "functiongemma", "-o", model], check=True,
                   capture_output=True)
    with open(os.path.join(model, "tokenizer_config.json"), encoding="utf-8") as f:
        template = json.load(f)["chat_template"]
    with open(CASES, encoding="utf-8") as f:
        cases = json.load(f)
    failures = []
    for case in cases:
        try:
            got = jinja_render(template, case)
            error = None
        except ValueError as e:
            got, error = None, str(e)
        if update:
            case.pop("expected", None), case.pop("error", None)
            case.update({"expected": got} if error is None else {"error": error})
            continue
        if error is not None and error != case.get("error"):
            failures.append(f"{case['name']}: Jinja2 raised {error!r}")
        elif error is None and got != case.get("expected"):
            failures.append(f"{case['name']}: Jinja2 renders {got!r}, expected {case.get('expected')!r}")
        stdin = json.dumps({"messages": case["messages"], "tools": case.get("tools")})
        run = subprocess.run([gemma3, "template", "-m", model], input=stdin.encode(), capture_output=True)
        if error is not None:
            if run.returncode == 0:
                failures.append(f"{case['name']}: gemma3 template succeeded where Jinja2 raised {error!r}")
            elif error.encode() not in run.stderr:
                failures.append(f"{case['name']}: gemma3 template error {run.stderr!r} lacks {error!r}")
        elif run.returncode != 0 or run.stdout.decode("utf-8") != got:
            failures.append(f"{case['name']}: gemma3 template gives {run.stdout!r} ({run.stderr!r}), Jinja2 {got!r}")
        if error is None and case.get("marker_ids"):
            ids = subprocess.run([gemma3, "template", "-m", model, "--ids"], input=stdin.encode(), capture_output=True)
            if ids.returncode != 0:
                failures.append(f"{case['name']}: gemma3 template --ids failed: {ids.stderr!r}")
            else:
                counts = {str(i): json.loads(ids.stdout).count(i) for i in range(46, 53)}
                if counts != case["marker_ids"]:
                    failures.append(f"{case['name']}: marker token counts {counts}, expected {case['marker_ids']}")
    if update:
        with open(CASES, "w", encoding="utf-8") as f:
            json.dump(cases, f, indent=1, ensure_ascii=False)
            f.write("\n")
        return 0
    for f in failures:
        print("FAIL", f)
    print(f"{len(cases) - len(failures)}/{len(cases)} cases agree" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
