//! What a helper verdict means in the common vocabulary.

use super::HelperVerdict;
use crate::outcome::{HasOutcome, Outcome};

impl HasOutcome for HelperVerdict {
    /// A helper an arch does not need is a pass; one that is missing or does not resolve fails.
    fn outcome(&self) -> Outcome {
        match self {
            HelperVerdict::Provided | HelperVerdict::NotRequired => Outcome::Pass,
            HelperVerdict::Missing | HelperVerdict::Unresolved => Outcome::Fail,
        }
    }
}
