"""Reads feeds the way a reader would, for tests/it/feeds/consumers.rs.

Usage: check_feeds.py SCHEMA FILE...  (FILE ending in .json is a JSON Feed)
Prints one JSON object: for each file what feedparser saw (bozo, language,
each entry's language, alternates, via link, contributors, updated), or for
a JSON Feed the schema validation errors and each item's language and
translations. Exits 2 with a message if feedparser or jsonschema is missing.
"""

import json
import sys

try:
    import feedparser
    import jsonschema
except ImportError as e:  # CI installs both (.ci/run); say so plainly.
    print(f"missing Python package: {e.name}; run: pip install feedparser jsonschema", file=sys.stderr)
    sys.exit(2)


def xml_feed(path):
    d = feedparser.parse(path)
    entries = []
    for e in d.entries:
        lang = e.get("language") or (e.get("title_detail") or {}).get("language")
        links = e.get("links", [])
        entries.append({
            "id": e.get("id"),
            "title": e.get("title"),
            "language": lang,
            "alternates": sorted(
                [l.get("hreflang"), l.get("href")]
                for l in links
                if l.get("rel") == "alternate" and l.get("hreflang") and l.get("hreflang") != lang
            ),
            "via": next((l.get("href") for l in links if l.get("rel") == "via"), None)
                or (e.get("source") or {}).get("href")
                or (e.get("source") or {}).get("url"),
            "authors": [a.get("name") for a in e.get("authors", [])],
            "contributors": [c.get("name") for c in e.get("contributors", [])],
            "tags": [t.get("term") for t in e.get("tags", [])],
            "updated": e.get("updated"),
            "content": (e.get("content") or [{}])[0].get("value") or e.get("summary"),
            "enclosures": [x.get("href") for x in e.get("enclosures", [])],
        })
    return {
        "bozo": int(bool(d.bozo)),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.get("version"),
        "language": d.feed.get("language"),
        "title": d.feed.get("title"),
        "links": [[l.get("rel"), l.get("href")] for l in d.feed.get("links", [])],
        "entries": entries,
    }


def json_feed(path, schema):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    items = [{
        "id": i.get("id"),
        "language": i.get("language"),
        "alternates": sorted([t["language"], t["url"]] for t in i.get("_wirebridge", {}).get("translations", [])),
        "translators": [t["name"] for t in i.get("_wirebridge", {}).get("translators", [])],
        "date_modified": i.get("date_modified"),
    } for i in doc.get("items", [])]
    return {"schema_errors": errors, "language": doc.get("language"), "items": items}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    out = {}
    for path in sys.argv[2:]:
        out[path] = json_feed(path, schema) if path.endswith(".json") else xml_feed(path)
    print(json.dumps(out))


main()
