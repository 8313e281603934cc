"""The optimistic rollup's rules: presets, the transition function, batch bytes and the L1 contract.

The life of a transfer, and where each rule lives:

1. ``deposit(l2_address)`` on L1 queues ETH and assigns its account index
   there and then (``contract``): the address's account, or the next free
   index; a deposit that could never be placed (the tree is full) is
   refused. The operator includes queued deposits in order, each at its
   index, as batch entries (``rules.Deposit``).
2. A user signs a ``Transfer`` or ``Withdraw`` to those indices as EIP-712
   typed data (``rules.tx_digest``); the operator recovers signers in a
   batch and admits each with ``rules.apply_tx`` on its ``state.FullState``.
3. The operator posts the batch bytes (``encoding``) with ``submit_batch``:
   L1 checks what is cheap (the batch starts from the current state root,
   its deposits are exactly the next ones of the queue at their indices, no
   overdue deposit is left out: the rules of ``submission``, which the
   operator ran before posting), computes from the calldata the Merkle root
   of the entries, the withdrawal root and the post-state root the batch
   claims, and keeps only a commitment to them. The transactions are final
   from then on; the roots are a claim.
4. For ``challenge_window`` seconds (``params``) anyone may derive the state
   from the posted data (``rules.derive_step``: a step that breaks a rule is
   a no-op) and, at the first step whose claimed root differs, call
   ``prove_fraud`` with that entry and the one before it (each with its
   Merkle path in the entries root) and the witnesses; L1 runs the same
   ``derive_step`` on a ``state.WitnessedState`` and marks the claim, and
   every later one, invalid, in O(1). The proof costs the same for a batch
   of 10 steps or 1000, whatever was posted after it. Any bonded address
   then re-proposes the true claims, one batch per ``repropose_batch``.
5. Once a standing claim is final, a withdrawal leaf it says applied is
   proven against its withdrawal root and paid on L1, once.

The same rollup with an interactive proof (``bisection``): batches are
*compact*, with no intermediate roots (about a quarter cheaper to post at
1000 transfers); a challenger bonds and opens a dispute, the proposer posts
the root at each midpoint, the challenger agrees or not, each on a chess
clock, and after about log2(n) rounds L1 runs the one remaining step with
``derive_step``. A dispute costs more gas in total than one ``prove_fraud``
(many small transactions), but batches, the common case, cost less.

The actors that do this (operator, full node, challenger, the dispute
players, wallet) live in ``rollup.optimistic``. The operator writes every
accepted transaction to a write-ahead log before acknowledging it
(``rollup.optimistic.wal``), so a crash loses nothing it accepted.
"""
