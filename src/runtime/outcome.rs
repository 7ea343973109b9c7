//! What a boot verdict means in the common vocabulary.

use super::BootVerdict;
use crate::outcome::{HasOutcome, Outcome};

impl HasOutcome for BootVerdict {
    /// A kernel that never reached kcross's init fails the test as much as a failing test does.
    fn outcome(&self) -> Outcome {
        match self {
            BootVerdict::Pass => Outcome::Pass,
            BootVerdict::Fail | BootVerdict::BootFailure => Outcome::Fail,
            BootVerdict::Skipped => Outcome::Skipped,
        }
    }
}
