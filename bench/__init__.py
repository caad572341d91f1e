"""The performance harness (`make bench`): see bench/README.md."""
