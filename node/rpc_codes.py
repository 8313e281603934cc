"""JSON-RPC 2.0 error codes (the specification's section 5.1), and the one Ethereum adds.

Kept apart from the dispatcher so that the HTTP server, which answers some
errors before any request reaches the dispatcher, can use them without
importing the chain.
"""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# geth's code for a call or estimate that reverted; the revert data rides in ``data``.
EXECUTION_REVERTED = 3
# A dev-only method called over HTTP without the node's admin token (as JSON-RPC providers answer
# an unauthorised call).
UNAUTHORIZED = -32001
