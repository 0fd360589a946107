#!/usr/bin/env python3
"""Holds wirebridge's normalizer against Python's feedparser over every feed
fixture (tests/fixtures/feeds/), and prints where they differ in entry count
and titles.

Run from the repository root:

    python3 tests/feedparser_compare.py [FILE...]

It builds and runs `cargo run --example normalize_dump` for our side. Titles
are compared as a reader displays them: feedparser hands HTML titles over as
markup, so those are reduced to their text (tags dropped, entities decoded
once) before comparing; plain-text titles are compared as they are.
"""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
SUFFIXES = {".xml", ".rdf", ".atom", ".json", ".html"}


def displayed(detail):
    """A feedparser title as a reader shows it."""
    value = detail.get("value", "")
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return " ".join(value.split())


def feedparser_side(path):
    with open(path, "rb") as f:
        data = f.read()
    # The base the dump uses too, so relative links mean the same; JSON
    # Feed is only recognised by its media type. No charset: like ours,
    # feedparser is told nothing about the encoding.
    headers = {"content-location": f"https://fixtures.example/{path.name}"}
    if path.suffix == ".json":
        headers["content-type"] = "application/feed+json"
    parsed = feedparser.parse(data, response_headers=headers)
    titles = [displayed(e.get("title_detail", {})) for e in parsed.entries]
    return {
        "entries": len(parsed.entries),
        "titles": titles,
        "bozo": str(parsed.get("bozo_exception", "")) if parsed.bozo else "",
        "encoding": parsed.get("encoding", ""),
    }


def wirebridge_side(paths):
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--example", "normalize_dump", "--", *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    ours = {}
    for line in out.stdout.splitlines():
        doc = json.loads(line)
        entries = doc.get("entries", [])
        ours[doc["file"]] = {
            "entries": len(entries),
            "titles": [e["title"] for e in entries],
            "error": doc.get("error", ""),
        }
    return ours


def main():
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted(
        p for p in FIXTURES.iterdir() if p.suffix in SUFFIXES
    )
    ours = wirebridge_side(paths)
    differences = 0
    print(f"{'fixture':34} {'feedparser':>10} {'wirebridge':>10}")
    for path in paths:
        theirs = feedparser_side(path)
        mine = ours[str(path)]
        name = path.name
        print(f"{name:34} {theirs['entries']:>10} {mine['entries']:>10}")
        notes = []
        if theirs["entries"] != mine["entries"]:
            notes.append(f"entry count: feedparser {theirs['entries']}, wirebridge {mine['entries']}"
                         + (f" ({mine['error']})" if mine["error"] else ""))
        for i, (a, b) in enumerate(zip(theirs["titles"], mine["titles"]), start=1):
            if a != b:
                notes.append(f"title {i}: feedparser {a!r}, wirebridge {b!r}")
        if notes and theirs["bozo"]:
            notes.append(f"(feedparser: {theirs['bozo']}; it read {theirs['encoding'] or 'no encoding'})")
        for note in notes:
            print(f"    {note}")
        differences += bool(notes)
    print(f"\n{len(paths)} fixtures, {differences} with differences")


if __name__ == "__main__":
    main()
