"""A real EVM beside the toy L1: the pinned Solidity compiler and anvil from ``tools/evm``.

``ensure_tools`` installs the pinned npm packages (``npm ci``) when they are
missing and says exactly what is absent when it cannot; ``compile_twins``
compiles every Solidity twin in ``contracts_spec/evm`` and writes
``artifacts.json``; :class:`Anvil` starts and stops a local anvil with the
standard dev mnemonic (the accounts ``l2lab node`` uses) and the Cancun rules
the toy L1's gas schedule follows, so the two L1s price the same bytes alike.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from contracts_spec import evm as twins
from node.devaccounts import DEV_MNEMONIC
from primitives.keccak import keccak256

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools" / "evm"
ANVIL = TOOLS / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SOLC = TOOLS / "node_modules" / "solc"
HARDFORK = "cancun"
DEFAULT_PORT = 8546


class EvmToolsMissing(RuntimeError):
    """node, npm or the pinned packages in tools/evm are not there and cannot be installed; the message says which."""


def tools_missing() -> str | None:
    """Why the pinned tools cannot run (without installing anything), or None when they can."""
    if shutil.which("node") is None:
        return "node is not installed (the Solidity compiler in tools/evm runs on it)"
    if not (SOLC / "package.json").exists():
        return "the pinned solc is not installed in tools/evm (npm ci there installs it)"
    if not ANVIL.exists():
        return "the pinned anvil is not installed in tools/evm (npm ci there installs it)"
    return None


def ensure_tools() -> None:
    """Install tools/evm's pinned packages with ``npm ci`` if they are missing; EvmToolsMissing if that cannot be done."""
    if tools_missing() is None:
        return
    if shutil.which("node") is None:
        raise EvmToolsMissing("node is not installed: the Solidity compiler and anvil come from npm (tools/evm)")
    npm = shutil.which("npm")
    if npm is None:
        raise EvmToolsMissing("npm is not installed: cannot install the pinned solc and anvil in tools/evm")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, capture_output=True, text=True)
    if done.returncode != 0:
        raise EvmToolsMissing(f"npm ci in {TOOLS} failed: {done.stderr.strip()[-400:]}")
    why = tools_missing()
    if why is not None:
        raise EvmToolsMissing(why)


def solc_version() -> str:
    ensure_tools()
    return json.loads((SOLC / "package.json").read_text())["version"]


def compile_twin(name: str) -> dict[str, Any]:
    """Compile twin ``name`` (contracts_spec/evm/<name>.sol) with the pinned solc; its artefact (not written)."""
    ensure_tools()
    source = twins.source_of(name)
    if not source.exists():
        raise FileNotFoundError(f"no Solidity source {source}")
    request = {
        "language": "Solidity",
        "sources": {source.name: {"content": source.read_text()}},
        "settings": dict(twins.SETTINGS, outputSelection={"*": {"*": [
            "abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"]}}),
    }
    done = subprocess.run(["node", str(TOOLS / "compile.js"), str(twins.SOURCES)], input=json.dumps(request),
                          capture_output=True, text=True, cwd=TOOLS)
    if done.returncode != 0:
        raise RuntimeError(f"solc failed on {source.name}: {done.stderr.strip()[-2000:]}")
    out = json.loads(done.stdout)
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError(f"solc refused {source.name}:\n" + "\n".join(e.get("formattedMessage", e["message"])
                                                                      for e in errors))
    found = out.get("contracts", {}).get(source.name, {}).get(name)
    if found is None:
        raise RuntimeError(f"{source.name} defines no contract {name}")
    runtime = found["evm"]["deployedBytecode"]["object"]
    # Where the constructor writes immutables into the runtime code (zero in the compiler's output).
    immutables = sorted([ref["start"], ref["length"]]
                        for refs in found["evm"]["deployedBytecode"].get("immutableReferences", {}).values()
                        for ref in refs)
    return {"contract": name, "solc": solc_version(), "settings": twins.SETTINGS,
            "source_sha256": twins.source_digest(name), "abi": found["abi"],
            "bytecode": "0x" + found["evm"]["bytecode"]["object"], "runtime_size": len(runtime) // 2,
            "runtime_keccak": "0x" + keccak256(bytes.fromhex(runtime)).hex(), "immutables": immutables}


def write_artifacts(names: list[str] | None = None) -> list[str]:
    """Compile the twins ``names`` (default: every twin whose artefact is stale or missing) and write their
    artefacts; the names written."""
    todo = names if names is not None else [p.stem for p in twins.source_files() if not _fresh(p.stem)]
    twins.ARTIFACTS.mkdir(exist_ok=True)
    for name in todo:
        made = compile_twin(name)
        twins.artifact_path(name).write_text(json.dumps(made, indent=1, sort_keys=True) + "\n")
    twins._artifact.cache_clear()
    return todo


def _fresh(name: str) -> bool:
    try:
        twins.check_fresh(name)
    except twins.EvmArtifactError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Anvil:
    """A local anvil process: the standard dev accounts, automining, Cancun rules."""

    def __init__(self, port: int | None = None, *, accounts: int = 10, chain_id: int = 31337,
                 block_time: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.accounts, self.chain_id, self.block_time, self.log = accounts, chain_id, block_time, log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(ANVIL), "--port", str(self.port), "--host", "127.0.0.1", "--accounts", str(self.accounts),
               "--mnemonic", DEV_MNEMONIC, "--chain-id", str(self.chain_id), "--hardfork", HARDFORK,
               "--gas-limit", "30000000", "--code-size-limit", "49152"]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        return cmd

    def start(self, timeout: float = 20.0) -> Anvil:
        ensure_tools()
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - kept open with the process
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode} (is port {self.port} taken?)")
            if responds(self.url):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"anvil did not answer on {self.url} within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self) -> Anvil:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def responds(url: str) -> bool:
    """True when a JSON-RPC node answers eth_chainId at ``url``."""
    try:
        reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
        return "result" in reply.json()
    except (httpx.HTTPError, ValueError):
        return False
