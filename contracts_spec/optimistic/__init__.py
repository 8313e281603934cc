"""The optimistic rollup's rules: presets, the transition function, batch bytes and the L1 contract.

``rules`` holds ``apply_tx``, the one transition function every party runs;
``state`` the full and the witnessed account state it runs on; ``encoding``
the byte layouts of batches and witnesses; ``contract`` the L1 contract.
"""
