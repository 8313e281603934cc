"""The optimistic rollup's rules: presets, the transition function, batch bytes and the L1 contract.

The life of a transfer, and where each rule lives:

1. ``deposit(l2_address)`` on L1 queues ETH (``contract``); the operator
   includes queued deposits in order as batch entries (``rules.Deposit``).
2. A user signs a ``Transfer`` or ``Withdraw`` as EIP-712 typed data
   (``rules.tx_digest``); the operator recovers signers in a batch and runs
   ``rules.apply_tx`` on its ``state.FullState``.
3. The operator posts the batch bytes (``encoding``) with ``submit_batch``:
   L1 checks what is cheap (roots chain up, deposits match the queue, the
   withdrawal root matches: the rules of ``submission``, which the operator
   ran before posting), computes the Merkle root of the batch's entries
   from the calldata, and keeps only a commitment to it.
4. For ``challenge_window`` seconds (``params``) anyone may replay the batch
   from calldata and, at the first wrong step, call ``prove_fraud`` with that
   entry and the one before it (each with its Merkle path in the entries
   root) and the account witnesses; L1 re-runs the same ``apply_tx`` on a
   ``state.WitnessedState`` and reverts the batch and its successors. The
   proof costs the same for a batch of 10 steps or 1000.
5. Once final, a withdrawal leaf is proven against the batch's withdrawal
   root and paid on L1, once.

The same rollup with an interactive proof (``bisection``): batches are
*compact*, with no intermediate roots (about a quarter cheaper to post at
1000 transfers); a challenger bonds and opens a dispute, the proposer posts
the root at each midpoint, the challenger agrees or not, each on a chess
clock, and after about log2(n) rounds L1 runs the one remaining step with
``apply_tx``. A dispute costs more gas in total than one ``prove_fraud``
(many small transactions), but batches, the common case, cost less.

The actors that do this (operator, full node, challenger, the dispute
players, wallet) live in ``rollup.optimistic``. The operator writes every
accepted transaction to a write-ahead log before acknowledging it
(``rollup.optimistic.wal``), so a crash loses nothing it accepted.
"""
