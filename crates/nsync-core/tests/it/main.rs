//! Black-box tests of nsync-core: typed values, settings, rules.

mod names;
mod planner;
mod reads;
mod rules;
mod schedule;
mod stages;
mod values;
