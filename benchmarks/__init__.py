"""tracegrad's benchmark harness: each workload timed side by side with its peers.

Run ``python -m benchmarks`` (``--quick`` for a short run, ``--only W1,W3`` for some
workloads). See `benchmarks.harness` for the timing method and the correctness gate,
`benchmarks.workloads` for the workloads and their peers.
"""
