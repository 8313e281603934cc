"""``l2lab bench evm``: the gas of every L1 call of each scheme's main demo, on the toy L1 and on a real EVM.

Each demo runs twice in this process: on its own toy chain (the Python
contracts, metered by l2lab) and on an anvil started for the suite (the
Solidity twins, metered by the EVM). Every call becomes two figures,
``l1_gas_toy`` and ``l1_gas_evm``, under the same workload
(``<demo> #<n> <method>``), and one ``l1_gas_toy_vs_evm`` (the toy L1's
gas over the EVM's, minus one), so a report can show both columns and
the difference. A machine without node and npm gets no EVM column: the
suite says so and measures nothing.
"""

from __future__ import annotations

import sys

from benchmarks.harness import Figure

SCHEME_OF = {"optimistic": "optimistic", "optimistic-bisection": "optimistic", "zk": "zk-rollup",
             "channels": "channels", "plasma": "plasma"}


def run(quick: bool) -> list[Figure]:
    from node import evm
    from node.cli_evm import MAIN_DEMOS, deploy_all, gas_rows, preset_for, run_demo
    from node.devaccounts import derive_dev_account

    try:
        anvil = evm.Anvil().start()
    except evm.EvmToolsMissing as exc:
        print(f"l2lab bench evm: no real EVM here ({exc}); nothing measured", file=sys.stderr)
        return []
    figures: list[Figure] = []
    with anvil:
        from contracts_spec.l1 import L1Client
        from node.client import HttpTransport

        deploy_all(L1Client(HttpTransport(anvil.url)), derive_dev_account(0).private_key)
        for demo in MAIN_DEMOS:
            preset = preset_for(demo, "minimal")
            _, _, on_evm, _ = run_demo(demo, preset, anvil.url)
            _, _, on_toy, _ = run_demo(demo, preset, None)
            scheme = SCHEME_OF.get(demo, demo)
            for n, row in enumerate(gas_rows(on_toy, on_evm), 1):
                workload = f"{demo} #{n} {row['method']}"
                figures.append(Figure(scheme=scheme, metric="l1_gas_toy", workload=workload, unit="gas",
                                      value=row["toy"], name=f"{workload}: toy L1"))
                figures.append(Figure(scheme=scheme, metric="l1_gas_evm", workload=workload, unit="gas",
                                      value=row["evm"], name=f"{workload}: EVM (anvil, Solidity twin)"))
                figures.append(Figure(scheme=scheme, metric="l1_gas_toy_vs_evm", workload=workload, unit="ratio",
                                      value=round(row["difference"], 4), name=f"{workload}: toy / EVM - 1",
                                      note=row.get("why", "")))
    return figures
