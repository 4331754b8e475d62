"""Code both the client and the server import: enums, schemas, validators, calculations.

Nothing in here may import Qt, SQLAlchemy or do I/O (STYLE.md, convention 1).
"""
