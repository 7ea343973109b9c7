//! Series gate.
