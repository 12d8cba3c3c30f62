"""The policy's rules: working days, deadlines, the publish-time gate, the audit and the
annual report."""
