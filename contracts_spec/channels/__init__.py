"""Payment channels' rules: presets, balance proofs and settlement arithmetic, and the L1 contracts.

The life of a payment, and where each rule lives:

1. Two participants open a channel on the adjudicator (``contract``), which
   gives it a new identifier, and deposit ETH into it.
2. Each pays the other off-chain by signing a new ``rules.BalanceProof``:
   a higher nonce, a higher total transferred, and its pending hash-time
   locks (``rules.Lock``) with their locksroot. A receiver accepts a proof
   only when ``rules.check_balance_proof`` (bound to this chain, adjudicator
   and channel, newer, signed by the sender) and ``rules.check_within_deposit``
   (no over-transfer) hold.
3. They end it cooperatively (``cooperative_settle``: one transaction), or
   one closes with the other's latest proof; during the settlement window
   (``params``) the other, or a monitoring service, presents the closer's
   latest proof. After it, ``settle_channel`` pays each side
   ``rules.settle_amounts`` and keeps pending locks, which ``unlock`` then
   pays out by the secrets the ``SecretRegistry`` recorded in time
   (``rules.unlock_amounts``).

A user who may be offline hires a watchtower: ``monitoring.MonitoringService``
holds its reward deposit, lands the watchtower's update and pays the reward
(``rules.RewardProof``) to the service whose update landed, once.

The actors (peers, routing, transport, watchtower) live in ``channels``.
"""
