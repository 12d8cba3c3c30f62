"""The SQLAlchemy store: schema, the store itself, its write operations and receipt queries."""
