//! nsync domain types, rules and the planner. Pure: no I/O.
