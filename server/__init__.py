"""The central application server: owns the database and every permission check."""
