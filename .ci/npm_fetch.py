"""Install the packages of package-lock.json into node_modules/ without npm (stdlib only).

For a fresh machine that has Python but no Node.js: each locked package is downloaded from the npm
registry as its tarball, checked against the lock's `integrity` (sha512) and unpacked. The result is
what `npm ci` leaves for our build (node_modules/<name>/..., node_modules/.package-lock.json).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60


def tarball_url(name: str, version: str) -> str:
    bare = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{bare}-{version}.tgz"


def verify(data: bytes, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    if algo != "sha512":
        raise SystemExit(f"unsupported integrity algorithm {algo!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"integrity mismatch: expected {expected}, got {actual}")


def unpack(data: bytes, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            # npm tarballs keep everything under "package/"; refuse anything else (and links).
            if not (member.isfile() or member.isdir()):
                continue
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts:
                continue
            target = dest.joinpath(*parts[1:])
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())


def main(root: Path) -> int:
    lock = json.loads((root / "package-lock.json").read_text())
    for path, meta in lock.get("packages", {}).items():
        if not path.startswith("node_modules/"):
            continue
        # A nested copy ("node_modules/a/node_modules/b") is package b, unpacked where the lock puts it.
        name = path.rsplit("node_modules/", 1)[-1]
        url = meta.get("resolved") or tarball_url(name, meta["version"])
        if not url.startswith(REGISTRY + "/"):
            raise SystemExit(f"refusing a non-registry URL for {name}: {url}")
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data = response.read()
        verify(data, meta["integrity"])
        unpack(data, root / path)
        print(f"{name}@{meta['version']} ({len(data)} bytes, integrity ok)")
    shutil.copyfile(root / "package-lock.json", root / "node_modules" / ".package-lock.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent.parent))
