"""``l2lab compare``: one workload across every scheme, measured in one run, and the report made of it."""
