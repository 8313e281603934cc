"""``l2lab evm``: the schemes on a real EVM, beside the toy L1.

``up`` starts a local anvil (pinned in tools/evm, installed with npm when
missing) with the standard dev accounts and Cancun rules, and ``down`` stops
it; ``status`` says what a chain is and what it offers; ``compile`` rebuilds
the Solidity twins' artefacts; ``deploy`` puts every scheme's contracts on
any EVM chain and prints their addresses; ``demos`` runs each scheme's main
demo on a real EVM (its own anvil unless ``--rpc`` names a chain) and on the
toy L1, and prints the gas of every L1 call on both.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

STATE_FILE = "evm.json"
# The main demo of each scheme, in teaching order; ``l2lab evm demos`` runs these.
MAIN_DEMOS = ("optimistic", "optimistic-bisection", "zk", "channels", "plasma")
GAS_TOLERANCE = 0.10


class EvmCliError(Exception):
    pass


def _state_path(data_dir: str) -> Path:
    return Path(data_dir) / STATE_FILE


def _read_state(data_dir: str) -> dict | None:
    path = _state_path(data_dir)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _l1(url: str) -> Any:
    from contracts_spec.l1 import L1Client
    from node.client import HttpTransport

    try:
        return L1Client(HttpTransport(url))
    except ValueError as exc:
        raise EvmCliError(str(exc)) from None


def _rpc_of(args: argparse.Namespace) -> str:
    """The chain a command acts on: --rpc, else the anvil `l2lab evm up` started in --data-dir."""
    if getattr(args, "rpc", None):
        from node.client import url_problem

        problem = url_problem(args.rpc, "--rpc")
        if problem:
            raise EvmCliError(problem)
        return str(args.rpc)
    state = _read_state(args.data_dir)
    if state and _alive(int(state["pid"])):
        return str(state["url"])
    raise EvmCliError(f"no chain named: give --rpc URL, or start one with `l2lab evm up` (none runs for "
                      f"{args.data_dir})")


# -- up / down / status -------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    from node import evm

    state = _read_state(args.data_dir)
    if state and _alive(int(state["pid"])) and evm.responds(state["url"]):
        print(f"anvil already runs at {state['url']} (pid {state['pid']}); `l2lab evm down` stops it")
        return 0
    if evm.responds(f"http://127.0.0.1:{args.port}"):
        raise EvmCliError(f"port {args.port} already answers JSON-RPC: choose another --port")
    os.makedirs(args.data_dir, exist_ok=True)
    try:
        evm.ensure_tools()
    except evm.EvmToolsMissing as exc:
        raise EvmCliError(str(exc)) from None
    anvil = evm.Anvil(args.port, accounts=args.accounts, block_time=args.block_time)
    log = open(Path(args.data_dir) / "anvil.log", "ab")  # noqa: SIM115 - handed to the detached process
    process = subprocess.Popen(anvil.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while not evm.responds(anvil.url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise EvmCliError(f"anvil did not start; see {Path(args.data_dir) / 'anvil.log'}")
        time.sleep(0.1)
    _state_path(args.data_dir).write_text(json.dumps({"pid": process.pid, "url": anvil.url, "port": args.port}))
    print(f"anvil runs at {anvil.url} (pid {process.pid}, chain id 31337, Cancun rules, the standard dev "
          f"accounts, log in {Path(args.data_dir) / 'anvil.log'}); `l2lab evm down` stops it")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state = _read_state(args.data_dir)
    if not state or not _alive(int(state["pid"])):
        print(f"no anvil started by `l2lab evm up` runs for {args.data_dir}")
        _state_path(args.data_dir).unlink(missing_ok=True)
        return 0
    os.killpg(int(state["pid"]), signal.SIGTERM)
    for _ in range(50):
        if not _alive(int(state["pid"])):
            break
        time.sleep(0.1)
    _state_path(args.data_dir).unlink(missing_ok=True)
    print(f"stopped anvil at {state['url']} (pid {state['pid']})")
    return 0


def chain_status(url: str) -> dict:
    """What the chain at ``url`` is, and whether it offers what the demos use (time travel, set balances)."""
    from node import evm

    if not evm.responds(url):
        raise EvmCliError(f"nothing answers JSON-RPC at {url}")
    l1 = _l1(url)
    version = str(l1.rpc("web3_clientVersion"))
    return {"url": url, "client": version, "toy_l1": l1.toy, "chain_id": l1.chain_id, "block": l1.block_number(),
            "time_travel": version.startswith(("anvil", "l2lab", "HardhatNetwork")),
            "contracts": "Python classes" if l1.toy else "Solidity twins (contracts_spec/evm)"}


def cmd_status(args: argparse.Namespace) -> int:
    status = chain_status(_rpc_of(args))
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    for key, value in status.items():
        print(f"  {key:<12} {value}")
    return 0


# -- compile --------------------------------------------------------------------------------------------


def cmd_compile(args: argparse.Namespace) -> int:
    from contracts_spec import evm as twins
    from node import evm

    names = args.names or [p.stem for p in twins.source_files()]
    unknown = [n for n in names if not twins.source_of(n).exists()]
    if unknown:
        raise EvmCliError(f"no Solidity twin named {', '.join(unknown)} (have: "
                          f"{', '.join(p.stem for p in twins.source_files())})")
    stale = [n for n in names if not evm._fresh(n)]
    if args.check:
        for n in names:
            print(f"  {n:<20} {'stale: run `l2lab evm compile`' if n in stale else 'fresh'}")
        return 1 if stale else 0
    try:
        written = evm.write_artifacts(names if args.names else stale)
    except (evm.EvmToolsMissing, RuntimeError) as exc:
        raise EvmCliError(str(exc)) from None
    for n in names:
        size = twins.artifact(n).get("runtime_size", 0)
        print(f"  {n:<20} {'compiled' if n in written else 'fresh'}  {size:>6} bytes of runtime code"
              + ("  (over EIP-170's 24,576)" if size > 24_576 else ""))
    return 0


# -- deploy ----------------------------------------------------------------------------------------------


def deploy_all(l1: Any, key: bytes, out: io.TextIOBase | Any = None) -> dict[str, dict[str, str]]:
    """Deploy every scheme's L1 contracts with its default preset; their addresses by scheme."""
    from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
    from contracts_spec.channels.params import MINIMAL as CHANNELS
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.contract import OptimisticRollup
    from contracts_spec.optimistic.params import MINIMAL as OPTIMISTIC
    from contracts_spec.plasma.contract import RootChain
    from contracts_spec.plasma.params import MINIMAL as PLASMA
    from primitives.secp256k1 import private_key_to_address

    me = private_key_to_address(key)
    done: dict[str, dict[str, str]] = {}

    def note(scheme: str, name: str, address: str) -> None:
        done.setdefault(scheme, {})[name] = address
        if out is not None:
            print(f"  {scheme:<12} {name:<20} {address}", file=out, flush=True)

    note("optimistic", "OptimisticRollup", l1.deploy(key, OptimisticRollup, *OPTIMISTIC.constructor_args(me)))
    note("optimistic", "BisectionRollup", l1.deploy(key, BisectionRollup, *OPTIMISTIC.bisection_args(me)))
    note("zk", "ZkRollup", _deploy_zk(l1, key))
    registry = l1.deploy(key, SecretRegistry)
    note("channels", "SecretRegistry", registry)
    note("channels", "ChannelAdjudicator", l1.deploy(key, ChannelAdjudicator, *CHANNELS.constructor_args(registry)))
    note("plasma", "RootChain", l1.deploy(key, RootChain, *PLASMA.constructor_args(me)))
    return done


def _deploy_zk(l1: Any, key: bytes) -> str:
    from contracts_spec.zk.contract import ZkRollup, constructor_args
    from contracts_spec.zk.params import SMALL
    from primitives.secp256k1 import private_key_to_address
    from rollup.zk.prover import BatchProver

    vk = BatchProver(SMALL).verifying_key()  # the small preset's development keys, made once and cached
    return str(l1.deploy(key, ZkRollup, *constructor_args(SMALL, private_key_to_address(key), vk)))


def cmd_deploy(args: argparse.Namespace) -> int:
    from node.devaccounts import derive_dev_account

    url = _rpc_of(args)
    key = bytes.fromhex(args.key[2:] if args.key.startswith("0x") else args.key) if args.key \
        else derive_dev_account(args.account).private_key
    l1 = _l1(url)
    print(f"deploying every scheme's contracts on {url} ({chain_status(url)['contracts']}):", file=sys.stderr)
    done = deploy_all(l1, key, sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(done, indent=2) + "\n")
    print(json.dumps(done, indent=2))
    return 0


# -- demos ------------------------------------------------------------------------------------------------


def run_demo(name: str, preset: str, rpc: str | None) -> tuple[int, dict, list, str]:
    """Run demo ``name`` on the chain at ``rpc`` (None: its own toy chain); exit code, summary, calls, narration."""
    from node.cli_demo import all_demos
    from node.demo_l1 import recording, use_rpc

    _, demo = all_demos()[name]
    text = io.StringIO()
    with use_rpc(rpc), recording() as calls:
        code, summary = demo(preset, text)
    return code, summary, calls, text.getvalue()


def gas_rows(toy: list, evm: list) -> list[dict]:
    """One row per L1 call of a demo: method, toy gas, EVM gas, relative difference, and why when beyond 10 %
    (``contracts_spec.evm.gas_notes``)."""
    from contracts_spec.evm.gas_notes import gas_note

    rows = []
    for t, e in zip(toy, evm, strict=False):
        diff = (t.gas - e.gas) / e.gas if e.gas else 0.0
        row = {"method": t.method if t.method == e.method else f"{t.method}/{e.method}", "toy": t.gas,
               "evm": e.gas, "difference": round(diff, 4), "ok_toy": t.ok, "ok_evm": e.ok}
        if abs(diff) > GAS_TOLERANCE:
            row["why"] = gas_note(t.method, ok=t.ok and e.ok) or "unexplained"
        rows.append(row)
    return rows


def preset_for(name: str, preset: str) -> str:
    return "small" if name.startswith("zk") and preset == "minimal" else preset


def cmd_demos(args: argparse.Namespace) -> int:
    from node import evm
    from node.cli_demo import all_demos

    names = list(all_demos()) if args.all else args.names or list(MAIN_DEMOS)
    unknown = [n for n in names if n not in all_demos()]
    if unknown:
        raise EvmCliError(f"no demo named {', '.join(unknown)} (`l2lab demo --list` names them)")
    anvil = None
    url = _rpc_of(args) if args.rpc else None
    if url is None:
        try:
            anvil = evm.Anvil().start()
        except evm.EvmToolsMissing as exc:
            raise EvmCliError(str(exc)) from None
        url = anvil.url
        print(f"started anvil at {url} for these demos", file=sys.stderr)
    report: dict[str, Any] = {"rpc": url, "demos": {}}
    failed = []
    with anvil if anvil is not None else nullcontext():
        from node.devaccounts import derive_dev_account

        print(f"deploying every scheme's contracts on {url}:", file=sys.stderr)
        report["deployed"] = deploy_all(_l1(url), derive_dev_account(0).private_key, sys.stderr)
        for name in names:
            preset = preset_for(name, args.preset)
            started = time.perf_counter()
            code, summary, evm_calls, narration = run_demo(name, preset, url)
            seconds = time.perf_counter() - started
            _, _, toy_calls, _ = run_demo(name, preset, None)
            rows = gas_rows(toy_calls, evm_calls)
            same_calls = [c.method for c in toy_calls] == [c.method for c in evm_calls]
            from node.cli_demo import honest_losses

            lost = honest_losses(summary)
            verdict = "ok" if code == 0 and summary.get("ok") and same_calls and lost == 0 else "FAILED"
            if verdict != "ok":
                failed.append(name)
            report["demos"][name] = {"exit": code, "seconds": round(seconds, 2), "same_calls": same_calls,
                                     "honest_lost": lost, "gas": rows}
            if args.narrate:
                print(narration, file=sys.stderr)
            print(f"\n{name} ({preset}) on the EVM: {verdict}, {seconds:.1f} s, exit {code}, honest users lost "
                  f"{lost} wei"
                  + ("" if same_calls else "; the two L1s saw different calls"), file=sys.stderr)
            if not args.json:
                print(f"  {'call':<34}{'toy L1':>10}{'EVM':>10}{'diff':>8}")
                for row in rows:
                    flag = "" if "why" not in row else f"  {row['why']}"
                    print(f"  {row['method']:<34}{row['toy']:>10}{row['evm']:>10}{row['difference']:>+8.1%}{flag}")
    if args.json:
        print(json.dumps(report, indent=2))
    return 1 if failed else 0


# -- wiring -----------------------------------------------------------------------------------------------


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from contracts_spec.evm import EvmArtifactError
        from contracts_spec.l1 import L1Error
        from node.rpc import RpcError

        try:
            return int(func(args))
        except (EvmCliError, EvmArtifactError) as exc:
            print(f"l2lab evm: {exc}", file=sys.stderr)
            return 2
        except (L1Error, RpcError) as exc:
            print(f"l2lab evm: the chain refused: {exc}", file=sys.stderr)
            return 1

    return run


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evm", help="the schemes on a real EVM: anvil, the Solidity twins, deploy, demos")
    sub = p.add_subparsers(dest="evm_command", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser, rpc: bool = True) -> None:
        q.add_argument("--data-dir", default="./l2lab-data",
                       help="where `l2lab evm up` records the anvil it started (default ./l2lab-data)")
        if rpc:
            q.add_argument("--rpc", help="JSON-RPC URL of any EVM chain (default: the anvil `l2lab evm up` started)")

    q = sub.add_parser("up", help="start a local anvil with the standard dev accounts")
    common(q, rpc=False)
    q.add_argument("--port", type=int, default=8546, help="TCP port (default 8546; the toy node uses 8545)")
    q.add_argument("--accounts", type=int, default=10, help="funded dev accounts (default 10)")
    q.add_argument("--block-time", type=int, help="mine every N seconds instead of on each transaction")
    q.set_defaults(func=_guard(cmd_up))
    q = sub.add_parser("down", help="stop the anvil `l2lab evm up` started")
    common(q, rpc=False)
    q.set_defaults(func=_guard(cmd_down))
    q = sub.add_parser("status", help="what a chain is and what it offers")
    common(q)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_guard(cmd_status))
    q = sub.add_parser("compile", help="rebuild the Solidity twins' artefacts with the pinned solc")
    q.add_argument("names", nargs="*", help="twins to compile (default: every stale one)")
    q.add_argument("--check", action="store_true", help="only say which artefacts are stale (exit 1 if any)")
    q.set_defaults(func=_guard(cmd_compile))
    q = sub.add_parser("deploy", help="deploy every scheme's contracts on a chain and print their addresses")
    common(q)
    q.add_argument("--account", type=int, default=0, help="dev account that deploys (default 0)")
    q.add_argument("--key", help="private key that deploys, instead of a dev account")
    q.add_argument("--out", help="also write the addresses to this JSON file")
    q.set_defaults(func=_guard(cmd_deploy))
    q = sub.add_parser("demos", help="run each scheme's main demo on a real EVM and compare its gas with the toy L1")
    q.add_argument("names", nargs="*", help=f"demos to run (default: {', '.join(MAIN_DEMOS)})")
    q.add_argument("--rpc", help="an EVM chain to use (default: an anvil of its own, stopped afterwards)")
    q.add_argument("--all", action="store_true", help="every demo of every scheme, attacks included")
    q.add_argument("--preset", default="minimal", help="the schemes' preset (default minimal; zk: small)")
    q.add_argument("--narrate", action="store_true", help="print each demo's narration (to stderr)")
    q.add_argument("--json", action="store_true", help="print the whole report as JSON")
    q.set_defaults(func=_guard(cmd_demos))
