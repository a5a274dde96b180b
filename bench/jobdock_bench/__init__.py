"""``jobdock bench``: the peer harness's W1/W2/W3 workloads, self-contained.

The workloads, job bodies and figures follow ``../shared/bench/peers`` (peerbench) so
that the numbers compare with the peers measured there; see ``bench/README.md``.
"""
