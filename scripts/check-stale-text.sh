#!/usr/bin/env bash
# Fails when a code comment in autograd/, nn/, optim/, data/ or examples/ holds a benchmark
# figure or project history: figures belong in docs/performance.md, the source documents'
# story in the course and README.md; a comment says why, once. Prints file:line: kind: comment
# for each finding. Usage: scripts/check-stale-text.sh [repository root]   (default: this one)
#
# Only comments are read (string and character literals, raw strings and digit separators are
# skipped), and the patterns are narrow, so that prose such as "seed 1" (a gradient's or a
# generator's seed) passes.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
exec python3 - "$root" <<'PY'
import pathlib
import re
import sys

FOLDERS = ["autograd", "nn", "optim", "data", "examples"]
SUFFIXES = {".cpp", ".hpp", ".h", ".cc", ".ipp"}

# The source documents are numbered 000..004 (README.md); "the seed" alone names one without
# saying which. Figures: times, before -> after, speed ratios, shares of a step, A/B runs.
PATTERNS = [
    ("source document as a seed",
     re.compile(r"\bseeds?[ -]?00[0-4]\b|\bthe seed(?:'s)?\b(?! gradient)", re.I)),
    ("project history", re.compile(r"\bissues? #?[0-9]+\b", re.I)),
    ("timing figure", re.compile(r"\b[0-9]+(?:\.[0-9]+)? ?(?:ns|us|µs|ms)\b")),
    ("before -> after figure", re.compile(r"(?:->|→) ?~?[0-9]")),
    ("speed ratio", re.compile(r"\b[0-9]+(?:\.[0-9]+)?x (?:slower|faster)\b", re.I)),
    ("share of a step", re.compile(r"\b[0-9]+(?:\.[0-9]+)? ?% of\b")),
    ("A/B measurement", re.compile(r"\bA/B\b")),
]


def skip_quoted(text, i, quote):
    """Index just past the literal that starts at text[i] == quote (ends at a newline too)."""
    end = i + 1
    while end < len(text) and text[end] != quote and text[end] != "\n":
        end += 2 if text[end] == "\\" else 1
    return end + 1


def comments(text):
    """(line, text) of every // comment and of every line of a /* */ comment."""
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield line, text[i + 2 : end]
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end
            for k, part in enumerate(text[i + 2 : end].split("\n")):
                yield line + k, part
            line += text.count("\n", i, end)
            i = end + 2
        elif c == '"':
            if re.search(r"(?:^|[^A-Za-z0-9_])(?:u8|[uUL])?R$", text[max(0, i - 4) : i]):
                open_paren = text.find("(", i)
                close = ")" + text[i + 1 : open_paren] + '"'
                end = text.find(close, open_paren)
                end = n if end < 0 else end + len(close)
            else:
                end = skip_quoted(text, i, '"')
            line += text.count("\n", i, end)
            i = end
        elif c == "'":
            start = i
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.'"):
                start -= 1
            i = i + 1 if start < i and text[start].isdigit() else skip_quoted(text, i, "'")
        else:
            i += 1


root = pathlib.Path(sys.argv[1])
findings = []
for folder in FOLDERS:
    for path in sorted((root / folder).rglob("*")):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        for number, comment in comments(path.read_text(encoding="utf-8")):
            for what, pattern in PATTERNS:
                if pattern.search(comment):
                    text = comment.lstrip("/!<").strip()
                    findings.append(f"{path.relative_to(root)}:{number}: {what}: {text}")
                    break
if findings:
    print("\n".join(findings))
    print(f"check-stale-text: {len(findings)} comment(s) with a benchmark figure or project "
          "history: move the figure to docs/performance.md, the history to the course or "
          "README.md, and keep the why", file=sys.stderr)
    sys.exit(1)
print("check-stale-text: no benchmark figures or project history in comments")
PY
