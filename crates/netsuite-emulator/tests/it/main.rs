//! Black-box HTTP tests of the emulator.
