//! One outcome vocabulary for every stage. Each stage keeps its own verdict type (a build
//! `Verdict`, a `HelperVerdict`, a `BootVerdict`, a series step), with its own words for
//! people, and says what it means through `HasOutcome`. History stores the `Outcome`, and
//! comparisons and reports count with it; nothing is guessed back from display strings.
//! A leaf: it imports no stage.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Ran and passed (a helper an arch does not need counts as passed).
    Pass,
    /// Ran, and the thing under test failed.
    Fail,
    /// Not run (a build that failed before it, a test the arch cannot run).
    Skipped,
    /// Failed in a way the matrix declares known: reported, never failing the run.
    Known,
    /// Could not be judged (a base that does not configure, a set-up failure).
    Error,
}

impl Outcome {
    /// Does this outcome fail a run?
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Error)
    }

    pub fn is_pass(self) -> bool {
        self == Outcome::Pass
    }

    /// Did the thing run at all (pass, fail or known)?
    pub fn ran(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Fail | Outcome::Known)
    }

    /// The serde name: `pass`, `fail`, `skipped`, `known`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skipped => "skipped",
            Outcome::Known => "known",
            Outcome::Error => "error",
        }
    }

    /// The inverse of `as_str` (for reading the history); None for anything else.
    pub fn from_name(s: &str) -> Option<Outcome> {
        [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Skipped,
            Outcome::Known,
            Outcome::Error,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    /// The worst of several outcomes (error > fail > known > skipped > pass); Pass for none.
    pub fn worst(all: impl IntoIterator<Item = Outcome>) -> Outcome {
        all.into_iter()
            .max_by_key(|o| match o {
                Outcome::Pass => 0,
                Outcome::Skipped => 1,
                Outcome::Known => 2,
                Outcome::Fail => 3,
                Outcome::Error => 4,
            })
            .unwrap_or(Outcome::Pass)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every stage's verdict says what it means.
pub trait HasOutcome {
    fn outcome(&self) -> Outcome;
}

impl HasOutcome for Outcome {
    fn outcome(&self) -> Outcome {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_failures() {
        for o in [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Skipped,
            Outcome::Known,
            Outcome::Error,
        ] {
            assert_eq!(Outcome::from_name(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert_eq!(Outcome::from_name("provided"), None);
        assert!(Outcome::Fail.is_failure() && Outcome::Error.is_failure());
        assert!(!Outcome::Known.is_failure() && !Outcome::Skipped.is_failure());
        assert!(!Outcome::Skipped.ran() && Outcome::Known.ran());
    }

    #[test]
    fn worst_of() {
        assert_eq!(Outcome::worst([]), Outcome::Pass);
        assert_eq!(
            Outcome::worst([Outcome::Pass, Outcome::Known, Outcome::Skipped]),
            Outcome::Known
        );
        assert_eq!(
            Outcome::worst([Outcome::Fail, Outcome::Error, Outcome::Pass]),
            Outcome::Error
        );
    }
}
