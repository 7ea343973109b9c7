//! What a boot verdict means in the common vocabulary.

use super::BootVerdict;
use crate::outcome::{HasOutcome, Outcome};

impl HasOutcome for BootVerdict {
    /// A kernel that never reached kcross's init could not run the test at all: an error (which
    /// fails the run as a failing test does, and is JUnit's `<error>`).
    fn outcome(&self) -> Outcome {
        match self {
            BootVerdict::Pass => Outcome::Pass,
            BootVerdict::Fail => Outcome::Fail,
            BootVerdict::BootFailure => Outcome::Error,
            BootVerdict::Timeout => Outcome::Fail,
            BootVerdict::Skipped | BootVerdict::NotApplicable => Outcome::Skipped,
        }
    }
}
