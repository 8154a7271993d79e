//! nsync persistence behind one interface: SQLite (embedded default) and PostgreSQL. No business rules.
