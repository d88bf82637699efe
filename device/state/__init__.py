"""The SQLite file: one connection, its transactions, and every table of customers, visits and uploads."""
