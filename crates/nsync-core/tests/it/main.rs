//! Black-box tests of nsync-core: typed values, settings, rules.

mod names;
mod rules;
mod values;
