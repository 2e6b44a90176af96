#!/usr/bin/env python3
# validate-events.py SCHEMA FILE...: every line of each FILE is one event
# valid under SCHEMA (python3-jsonschema when installed, else the subset of
# JSON Schema the schema uses: type, const, enum, pattern, required,
# additionalProperties, items, maxItems, maxLength, minimum, maximum). Exit 1 and name
# the line on the first invalid one.
import json, re, sys

def small_validate(v, s, path="$"):
    t = s.get("type")
    types = {"object": dict, "array": list, "string": str, "integer": int}
    if t and not (isinstance(v, types[t]) and not (t == "integer" and isinstance(v, bool))):
        raise ValueError(f"{path}: not {t}")
    if "const" in s and v != s["const"]:
        raise ValueError(f"{path}: not {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        raise ValueError(f"{path}: {v!r} not in {s['enum']}")
    if "pattern" in s and not re.search(s["pattern"], v):
        raise ValueError(f"{path}: {v!r} does not match {s['pattern']}")
    if "maxLength" in s and len(v) > s["maxLength"]:
        raise ValueError(f"{path}: longer than {s['maxLength']}")
    if "minimum" in s and v < s["minimum"]:
        raise ValueError(f"{path}: below minimum")
    if "maximum" in s and v > s["maximum"]:
        raise ValueError(f"{path}: above maximum")
    if t == "object":
        for k in s.get("required", []):
            if k not in v:
                raise ValueError(f"{path}: missing {k}")
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                small_validate(x, props[k], f"{path}.{k}")
            elif s.get("additionalProperties") is False:
                raise ValueError(f"{path}: unexpected field {k}")
    if t == "array":
        if "maxItems" in s and len(v) > s["maxItems"]:
            raise ValueError(f"{path}: too many items")
        for i, x in enumerate(v):
            small_validate(x, s.get("items", {}), f"{path}[{i}]")

schema = json.load(open(sys.argv[1]))
try:
    import jsonschema
    def check(ev):
        jsonschema.validate(ev, schema)
    how = "jsonschema"
except ImportError:
    check = lambda ev: small_validate(ev, schema)
    how = "small validator"
n = 0
for name in sys.argv[2:]:
    for i, line in enumerate(open(name, encoding="utf-8"), 1):
        try:
            check(json.loads(line))
        except Exception as e:
            print(f"{name}:{i}: {e}".splitlines()[0])
            sys.exit(1)
        n += 1
print(f"{n} events valid ({how})")
sys.exit(0 if n else 1)
