"""The gas meter: a limit, what was used, and where it went."""

from __future__ import annotations


class OutOfGas(BaseException):
    """The gas limit ran out: the whole transaction reverts and all its gas is spent.

    A ``BaseException``, like ``KeyboardInterrupt``: a contract's ``except
    Exception`` must not be able to swallow running out of gas and go on.
    """

    def __init__(self, category: str, needed: int, remaining: int) -> None:
        super().__init__(f"out of gas: {category} needs {needed}, {remaining} left")
        self.category = category


class GasMeter:
    """Counts gas against a limit, by category, so receipts can show where it went."""

    __slots__ = ("limit", "used", "breakdown", "ran_out")

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"gas limit must be >= 0, got {limit}")
        self.limit = limit
        self.used = 0
        self.breakdown: dict[str, int] = {}
        # Set once OutOfGas was raised: a frame that caught it must still end as out of gas.
        self.ran_out = False

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def charge(self, amount: int, category: str) -> None:
        """Spend ``amount``; raise OutOfGas (spending everything) if it exceeds the limit."""
        if amount < 0:
            raise ValueError(f"cannot charge negative gas ({amount}) for {category}")
        if self.used + amount > self.limit:
            remaining = self.remaining
            self.exhaust()
            self.ran_out = True
            raise OutOfGas(category, amount, remaining)
        self.used += amount
        self.breakdown[category] = self.breakdown.get(category, 0) + amount

    def absorb(self, child: GasMeter, discount: int = 0) -> None:
        """Charge a nested call's usage here, category by category.

        ``discount`` is the value-call stipend the callee got for free; it
        comes off the "call" category. Running out here spends everything.
        """
        for category, amount in child.breakdown.items():
            self.breakdown[category] = self.breakdown.get(category, 0) + amount
        self.used += child.used - discount
        if discount:
            self.breakdown["call"] = self.breakdown.get("call", 0) - discount
        if self.used > self.limit:
            self.used = self.limit
            self.ran_out = True
            raise OutOfGas("call", child.used - discount, 0)

    def exhaust(self) -> None:
        """Spend whatever is left (out of gas consumes the whole limit)."""
        rest = self.limit - self.used
        if rest:
            self.breakdown["out_of_gas"] = self.breakdown.get("out_of_gas", 0) + rest
        self.used = self.limit
