"""Plasma MVP's rules: presets, transactions and blocks, validity and exit priority, and the root chain.

The life of a coin, and where each rule lives:

1. A user ``deposit``s ETH on the root chain (``contract.RootChain``), which
   creates a deposit block whose one transaction pays it to the user
   (``rules.deposit_root``).
2. The user spends it on the child chain with a ``rules.Transaction`` (two
   inputs, two outputs, a fixed 88-byte layout), signed per input
   (``rules.sign_transaction``). The operator accepts a block of them only if
   ``rules.check_block`` holds (each input unspent and signed by its owner,
   none spent twice, outputs at most inputs), and submits its depth-16
   Merkle root (``rules.BlockTree``) with ``submit_block``; watchers run the
   same check on every block they download.
3. Once the block is on L1 and valid, each spender signs a confirmation of its
   transaction under the block's root (``rules.confirm``) and hands it to the
   recipient.
4. An owner exits an output with a bond (``start_deposit_exit``,
   ``start_exit``: inclusion proof and confirmations). Anyone holding a
   confirmed spend of it ``challenge_exit``s and takes the bond. After the
   exit period (``params``), ``finalize_exits`` pays exits in the order of
   ``rules.exit_priority``: older outputs first.

The actors (operator, watcher) live in ``plasma``.
"""
