"""Circuit gadgets: reusable pieces of R1CS written against :class:`~primitives.snark.r1cs.Circuit`.

Each gadget takes the circuit first, then linear combinations, and returns
linear combinations; it adds its constraints under the caller's current
scope, so a failing constraint reads like ``merkle.level3.select``.
"""
