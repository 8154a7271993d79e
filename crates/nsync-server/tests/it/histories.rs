//! Random NetSuite histories (placeholder replaced below).
