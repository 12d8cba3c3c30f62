"""The static portal: item pages, catalogues, the search index and their templates."""
