"""Payment-channel actors: peers as pure state machines, with their effects at one edge.

``state``, ``state_changes`` (inputs: ``Action*`` from the user, ``Receive*``
from peers, ``Block`` and ``ContractReceive*`` from L1) and ``events``
(outputs: ``Send*`` messages, ``ContractSend*`` L1 transactions, ``Event*``
for the user) are plain data; ``transition.state_transition`` is the pure
function between them, running the rules of ``contracts_spec.channels``.
``peer.Peer`` is the runtime: a write-ahead log (``wal``) before every
transition, then the events performed through ``contracts_spec.l1.L1Client``
and a transport (``transport.MessageBus``, in-process). ``messages`` says how
messages are signed and checked, ``routing`` finds paths with capacity,
``codec`` is the canonical form the log and the signatures use, and ``lab``
runs a network of peers for tests and demos. ``watchtower`` defends offline
users against stale closes for a reward (``contracts_spec.channels.monitoring``);
``http`` and ``peer_process`` (``l2lab channel peer``) run a peer in its own process, talking HTTP.
"""
