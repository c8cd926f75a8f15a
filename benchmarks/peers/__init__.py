"""The peers' shared plumbing: optional packages and tracegrad's discovered modes."""
