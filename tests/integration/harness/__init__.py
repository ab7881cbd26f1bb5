"""Test harness for the certgate integration tests (PKI, upstream, gateway process, clients)."""
