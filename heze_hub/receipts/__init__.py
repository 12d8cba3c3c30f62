"""The verifiable receipt log, offline: canonical JSON, the Merkle tree, signing,
checkpoints, the auditor's bundle and its verification.

Imports nothing from the store, the configuration or delivery: an auditor's verification needs
only the bundle."""
