"""The SQLAlchemy store: schema, the store itself and its receipt queries."""
