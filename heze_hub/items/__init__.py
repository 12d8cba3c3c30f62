"""The item file, its model, loading and normalization, and the parts normalization uses
(text, masking, rendering, identifiers, 双公示 records)."""
