"""An in-process message bus between peers: deterministic, and able to misbehave on purpose.

Messages are delivered one at a time in the order they were sent (FIFO), so
a test or a demo runs the same way every time. For adversarial scenarios the
bus can take a peer offline (messages to it are lost, as over UDP; their
senders send them again until acknowledged), drop the messages a predicate
picks, or hold them back until released.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from channels.messages import Signed
from contracts_spec.channels.rules import ChannelRuleError

Handler = Callable[[Signed], object]
# Takes a delivery round of messages for one recipient; gives back the refused ones with why.
RoundHandler = Callable[[list[Signed]], list[tuple[Signed, ChannelRuleError]]]
Filter = Callable[[Signed], bool]
REFUSALS_KEPT = 1000


class Transport(Protocol):
    """What a peer sends through: this bus in one process, ``channels.http.HttpMessageTransport`` across them."""

    def register(self, address: str, handler: Handler) -> None: ...

    def send(self, signed: Signed) -> None: ...


class MessageBus:
    """Carries signed messages between the peers registered on it.

    It ``delivers_rounds``: a recipient gets what was queued for it at once,
    so a sender may sign the messages it hands one recipient together (one
    envelope signature, see ``channels.messages.Signed``).
    """

    delivers_rounds = True

    def __init__(self, keep: int = 10_000) -> None:
        # ``delivered`` and ``dropped`` keep about the last ``keep`` messages each (0: none), ``refused`` at
        # least the last ``REFUSALS_KEPT``, so a bus that runs for days holds a bounded record.
        self.keep = keep
        self._handlers: dict[str, Handler] = {}
        self._round_handlers: dict[str, RoundHandler] = {}
        self._queue: deque[Signed] = deque()
        self.offline: set[str] = set()
        self._drop: list[Filter] = []
        self._hold: list[Filter] = []
        self.held: list[Signed] = []
        self.dropped: list[Signed] = []
        self.delivered: list[Signed] = []
        self.refused: list[tuple[Signed, ChannelRuleError]] = []

    def register(self, address: str, handler: Handler) -> None:
        self._handlers[address.lower()] = handler
        self._round_handlers.pop(address.lower(), None)

    def register_round(self, address: str, handler: RoundHandler) -> None:
        """Deliver to ``address`` a round at a time: every message queued for it when the round began, in order
        (a peer recovers their signatures in one batch and logs them with one fsync)."""
        self._round_handlers[address.lower()] = handler

    def _record(self, kept: list, items: list, at_least: int = 0) -> None:
        bound = max(self.keep, at_least)
        if bound <= 0 or not items:
            return
        kept.extend(items)
        if len(kept) > 2 * bound:
            del kept[:len(kept) - bound]

    def send(self, signed: Signed) -> None:
        if not self._drop and not self._hold:
            self._queue.append(signed)
        elif any(f(signed) for f in self._drop):
            self._record(self.dropped, [signed])
        elif any(f(signed) for f in self._hold):
            self.held.append(signed)
        else:
            self._queue.append(signed)

    # -- misbehaving on purpose -----------------------------------------------------------------

    def set_online(self, address: str, online: bool) -> None:
        (self.offline.discard if online else self.offline.add)(address.lower())

    def is_online(self, address: str) -> bool:
        return address.lower() not in self.offline

    def drop_when(self, predicate: Filter) -> None:
        self._drop.append(predicate)

    def hold_when(self, predicate: Filter) -> None:
        self._hold.append(predicate)

    def clear_filters(self) -> None:
        self._drop.clear()
        self._hold.clear()

    def release(self) -> None:
        """Send the held messages on, in the order they were held."""
        held, self.held = self.held, []
        self._queue.extend(held)

    # -- delivery --------------------------------------------------------------------------------

    def pending(self) -> int:
        return len(self._queue)

    def run(self, limit: int = 100_000) -> int:
        """Deliver until no message is left (at most ``limit``); how many were delivered.

        Delivery goes in rounds: the messages queued when a round begins, grouped
        by recipient in the order of their first message (each recipient's in the
        order sent), handed to a round handler together or else one at a time;
        what the recipients send meanwhile waits for the next round. A message
        the recipient refuses is kept in ``refused`` with the error.
        """
        count = 0
        while self._queue and count < limit:
            groups: dict[str, list[Signed]] = {}
            for _ in range(min(len(self._queue), limit - count)):
                signed = self._queue.popleft()
                groups.setdefault(signed.message.recipient.lower(), []).append(signed)
            for recipient, batch in groups.items():
                handler = self._handlers.get(recipient)
                if handler is None or recipient in self.offline:
                    self._record(self.dropped, batch)
                    continue
                count += len(batch)
                self._record(self.delivered, batch)
                round_handler = self._round_handlers.get(recipient)
                if round_handler is not None:
                    self._record(self.refused, round_handler(batch), REFUSALS_KEPT)
                    continue
                for signed in batch:
                    try:
                        handler(signed)
                    except ChannelRuleError as exc:
                        self._record(self.refused, [(signed, exc)], REFUSALS_KEPT)
        return count
