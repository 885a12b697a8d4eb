#!/usr/bin/env python3
"""Keeps the code in docs/ honest: every C++ block is a copy of a compiled file.

In the markdown, a snippet is a fenced block right after a marker comment:

    <!-- snippet: docs/snippets/tape.cpp -->            (the whole file)
    <!-- snippet: examples/huber_loss.hpp#huber -->     (a region of it)
    ```cpp
    ...exactly the file's (or region's) text...
    ```

A region is the lines between `// snippet-begin: NAME` and `// snippet-end: NAME` (other
marker lines inside are dropped, the common indentation is removed). Paths are relative to the
repository root. Rules checked in every docs/**/*.md:
  - each marker is followed by a fenced block whose text equals the snippet;
  - every ```cpp / ```c++ block has a marker (so no C++ in docs escapes the compiler);
  - every fenced block names its language (```sh, ```text, ...).

Usage: check_snippets.py [--fix] REPO_ROOT   (--fix rewrites the blocks from the files)
       check_snippets.py --self-test          (proves the checker catches each kind of drift)
Exit status 0 when everything matches, 1 otherwise (each problem printed as file:line: ...).
"""
import pathlib
import re
import sys

MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+?)(?:#([\w-]+))?\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
BEGIN = re.compile(r"^\s*// snippet-begin: ([\w-]+)\s*$")
END = re.compile(r"^\s*// snippet-end: ([\w-]+)\s*$")


def dedent(lines):
    indents = [len(l) - len(l.lstrip(" ")) for l in lines if l.strip()]
    cut = min(indents) if indents else 0
    return [l[cut:] if l.strip() else "" for l in lines]


def snippet_text(root, path, region):
    file = root / path
    if not file.is_file():
        raise ValueError(f"snippet file {path} does not exist")
    lines = file.read_text(encoding="utf-8").splitlines()
    if region is None:
        return lines
    out, inside, found = [], False, False
    for line in lines:
        b, e = BEGIN.match(line), END.match(line)
        if b and b.group(1) == region:
            if found:
                raise ValueError(f"region '{region}' appears twice in {path}")
            inside, found = True, True
        elif e and e.group(1) == region:
            inside = False
        elif inside and not b and not e:
            out.append(line)
    if not found:
        raise ValueError(f"region '{region}' not found in {path}")
    if inside:
        raise ValueError(f"region '{region}' in {path} has no snippet-end")
    return dedent(out)


def check_file(root, md, fix):
    lines = md.read_text(encoding="utf-8").splitlines()
    problems, out, i = [], [], 0
    rel = md.relative_to(root)
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        fence = FENCE.match(line)
        if m:
            out.append(line)
            path, region = m.group(1), m.group(2)
            if i + 1 >= len(lines) or not FENCE.match(lines[i + 1]) or not FENCE.match(lines[i + 1]).group(1):
                problems.append(f"{rel}:{i + 1}: snippet marker not followed by a fenced block with a language")
                i += 1
                continue
            open_line = lines[i + 1]
            j = i + 2
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            if j >= len(lines):
                problems.append(f"{rel}:{i + 2}: unterminated code block")
                return problems, None
            block = lines[i + 2:j]
            try:
                want = snippet_text(root, path, region)
            except ValueError as e:
                problems.append(f"{rel}:{i + 1}: {e}")
                want = block
            if block != want:
                problems.append(f"{rel}:{i + 3}: block differs from {path}" + (f"#{region}" if region else "")
                                + " (run docs/tools/check_snippets.py --fix .)")
            out.extend([open_line] + want + ["```"])
            i = j + 1
            continue
        if fence:
            lang = fence.group(1)
            if not lang:
                problems.append(f"{rel}:{i + 1}: code block without a language (use ```text, ```sh, ...)")
            elif lang.lower() in ("cpp", "c++", "cxx", "hpp"):
                problems.append(f"{rel}:{i + 1}: C++ block without a snippet marker (put the code in docs/snippets/ and include it)")
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            out.extend(lines[i:j + 1])
            i = j + 1
            continue
        out.append(line)
        i += 1
    return problems, out


def self_test():
    """Builds a tiny docs tree in a temporary directory and breaks it in each way checked."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "docs" / "snippets").mkdir(parents=True)
        (root / "docs" / "snippets" / "a.cpp").write_text(
            "int main() {\n  // snippet-begin: body\n  return 0;\n  // snippet-end: body\n}\n")
        good = ("# t\n\n<!-- snippet: docs/snippets/a.cpp#body -->\n```cpp\nreturn 0;\n```\n\n"
                "```sh\nls\n```\n")
        cases = {
            "matching": (good, 0),
            "edited block": (good.replace("return 0;", "return 1;"), 1),
            "unmarked C++": (good + "\n```cpp\nint x;\n```\n", 1),
            "no language": (good + "\n```\nplain\n```\n", 1),
            "missing region": (good.replace("#body", "#other"), 1),
            "missing file": (good.replace("a.cpp", "b.cpp"), 1),
        }
        failed = []
        for name, (text, want) in cases.items():
            (root / "docs" / "t.md").write_text(text)
            problems, _ = check_file(root, root / "docs" / "t.md", False)
            got = 1 if problems else 0
            print(f"self-test {name}: {'ok' if got == want else 'WRONG'} ({len(problems)} problems)")
            if got != want:
                failed.append(name)
        (root / "docs" / "t.md").write_text(good.replace("return 0;", "return 1;"))
        main(["--fix", str(root)])
        if (root / "docs" / "t.md").read_text() != good:
            failed.append("--fix")
        return 1 if failed else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    fix = "--fix" in argv
    args = [a for a in argv if a != "--fix"]
    if len(args) != 1:
        print(__doc__)
        return 2
    root = pathlib.Path(args[0]).resolve()
    problems, checked = [], 0
    for md in sorted((root / "docs").rglob("*.md")):
        p, out = check_file(root, md, fix)
        checked += 1
        if fix and out is not None:
            text = "\n".join(out) + "\n"
            if text != md.read_text(encoding="utf-8"):
                md.write_text(text, encoding="utf-8")
                print(f"updated {md.relative_to(root)}")
            p = [x for x in p if "block differs" not in x]
        problems += p
    for p in problems:
        print(p)
    print(f"check_snippets: {checked} markdown files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
