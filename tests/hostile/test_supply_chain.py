"""Issue 12 #14: the whole dependency tree is pinned and hashed, installs use the hashes, and the offline
vulnerability check finds an affected locked version (or says plainly that it could not run)."""
import json
import re
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from bihuan_local.advisories import locked, main

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def test_every_requirement_and_every_installed_package_is_locked_with_hashes():
    pins = locked(LOCK)
    text = LOCK.read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[1]):
        assert "--hash=sha256:" in block, f"no hash for {block.splitlines()[0]}"
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            assert pins.get(canonicalize_name(name.split("[")[0])) == version.strip(), f"{line} differs in the lock"
    # Transitive packages too (starlette, anyio, pydantic-core were unpinned): what runs here is what is locked.
    unlocked = {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                if not d.metadata["Name"].startswith("bihuan")
                and pins.get(canonicalize_name(d.metadata["Name"])) != d.version
                and canonicalize_name(d.metadata["Name"]) not in {"pip", "setuptools", "wheel"}}
    assert not unlocked, f"installed but not locked at this version: {sorted(unlocked)}"


def test_make_install_and_ci_use_the_hashes():
    assert "--require-hashes -r requirements.lock" in (ROOT / "Makefile").read_text()


def _advisory(db: Path, ident: str, package: str, events: list[dict]) -> None:
    (db / f"{ident}.json").write_text(json.dumps({
        "id": ident, "summary": f"test advisory for {package}",
        "affected": [{"package": {"ecosystem": "PyPI", "name": package},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}))


def test_the_offline_check_names_an_affected_locked_version(tmp_path, capsys):
    pins = locked(LOCK)
    starlette = pins["starlette"]
    db = tmp_path / "osv"
    db.mkdir()
    major = int(starlette.split(".")[0])
    _advisory(db, "PYSEC-TEST-1", "Starlette", [{"introduced": "0"}, {"fixed": f"{major + 1}.0.0"}])  # affected
    _advisory(db, "PYSEC-TEST-2", "starlette", [{"introduced": "0"}, {"fixed": "0.0.1"}])  # long fixed
    _advisory(db, "PYSEC-TEST-3", "not-a-locked-package", [{"introduced": "0"}])
    assert main(["--lock", str(LOCK), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert f"VULNERABLE starlette=={starlette}: PYSEC-TEST-1" in out and "PYSEC-TEST-2" not in out
    assert "1 known vulnerabilities" in out


def test_without_a_database_the_check_says_it_could_not_run(tmp_path, capsys):
    assert main(["--lock", str(LOCK), "--db", str(tmp_path)]) == 3
    assert "could not run" in capsys.readouterr().err
