"""Known vulnerabilities of the locked packages, checked without the internet when it is not there.

`python -m bihuan_local.advisories [--lock requirements.lock] [--db DIR]` matches every `name==version` of the lock
against advisories in the OSV format (https://ossf.github.io/osv-schema/), as published for PyPI by the PyPA
advisory database and OSV (its `PyPI/all.zip` export, unpacked: one JSON file per advisory). The database is the
operator's to mirror and refresh (`BIHUAN_ADVISORY_DB` or `--db`): this repository ships none, so its age is always
the mirror's and never a stale copy's. Without one, the check says plainly that it could not run (exit 3).

Exit codes: 0 no known vulnerability; 1 a locked version is affected; 3 the check could not run."""
import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    summary: str
    fixed: str | None


def locked(lock: Path) -> dict[str, str]:
    """Every `name==version` of a pip lock file, by canonical name."""
    pins = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _affected(version: str, affected: dict) -> tuple[bool, str | None]:
    if version in affected.get("versions", []):
        return True, None
    try:
        v = Version(version)
    except InvalidVersion:
        return False, None
    for r in affected.get("ranges", []):
        if r.get("type") != "ECOSYSTEM":
            continue
        # OSV events, in order: the version is affected from an `introduced` until the next `fixed`/`last_affected`.
        inside, fixed = False, None
        for event in r.get("events", []):
            if "introduced" in event:
                start = event["introduced"]
                inside = start == "0" or v >= Version(start)
            elif "fixed" in event and inside:
                if v < Version(event["fixed"]):
                    return True, event["fixed"]
                inside = False
            elif "last_affected" in event and inside:
                if v <= Version(event["last_affected"]):
                    return True, None
                inside = False
        if inside:
            return True, fixed
    return False, None


def check(pins: dict[str, str], db: Path) -> list[Finding]:
    findings = []
    for path in sorted(db.rglob("*.json")):
        try:
            advisory = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for affected in advisory.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") != "PyPI":
                continue
            name = canonicalize_name(package.get("name", ""))
            if name not in pins:
                continue
            hit, fixed = _affected(pins[name], affected)
            if hit:
                findings.append(Finding(name, pins[name], advisory.get("id", path.stem),
                                        advisory.get("summary", "")[:120], fixed))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--db", type=Path, default=os.environ.get("BIHUAN_ADVISORY_DB"))
    args = parser.parse_args(argv)
    pins = locked(args.lock)
    if args.db is None or not args.db.is_dir() or not any(args.db.rglob("*.json")):
        print(f"vulnerability check could not run: no advisory database (set BIHUAN_ADVISORY_DB to an unpacked "
              f"OSV PyPI export); {len(pins)} locked packages NOT checked", file=sys.stderr)
        return 3
    findings = check(pins, args.db)
    for f in findings:
        print(f"VULNERABLE {f.package}=={f.version}: {f.advisory} {f.summary}"
              + (f" (fixed in {f.fixed})" if f.fixed else ""))
    print(f"{len(pins)} locked packages checked against {args.db}: {len(findings)} known vulnerabilities")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
