//! What changed between two tree states' diagnostics (the series gate's step-against-step
//! comparison). Each state is a build dir's `diag::state::DiagState` (the tree's complete
//! diagnostics, not one log's); comparison is `diag::diff`'s multiset difference by
//! fingerprint, with the base to tell new from reappeared.

pub use crate::diag::state::{rebuilt_units, DiagState, Roots};
pub use crate::diag::Counted;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

/// What changed from `prev` to `cur`, with `base` to tell new from reappeared.
#[derive(Debug, Clone, Default)]
pub struct Delta {
    /// In `cur` more times than in `prev` and than in the base.
    pub new: Vec<Diagnostic>,
    /// In `cur` more times than in `prev`, but no more than in the base.
    pub reappeared: Vec<Diagnostic>,
    /// In `prev` more times than in `cur`.
    pub fixed: Vec<Diagnostic>,
}

pub fn delta(prev: &Counted, cur: &Counted, base: &Counted) -> Delta {
    let d = crate::diag::diff(prev, cur);
    let mut out = Delta {
        fixed: d.fixed,
        ..Delta::default()
    };
    // Of the occurrences added to a fingerprint, those beyond what the base had are new; the
    // rest were in the base (a reverted fix).
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for x in d.new {
        let fp = x.fingerprint.clone();
        let i = seen.entry(fp.clone()).or_default();
        let (c, p, b) = (cur.count(&fp), prev.count(&fp), base.count(&fp));
        let new = (c - p).min(c.saturating_sub(b));
        if *i < new {
            out.new.push(x);
        } else {
            out.reappeared.push(x);
        }
        *i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(file: &str, line: u32, msg: &str, src: &str, notes: &[&str]) -> Diagnostic {
        let mut d = crate::diag::test_warning(file, line, "-Wshadow", msg, src);
        d.notes = notes.iter().map(|s| s.to_string()).collect();
        d.fingerprint = crate::diag::fingerprint(&d);
        d
    }

    #[test]
    fn moved_is_not_new_and_multiplicity_counts() {
        let base = Counted::new(&[d("mm/a.c", 10, "shadow x", "int x;", &[])]);
        let moved = Counted::new(&[d("mm/a.c", 16, "shadow x", "int x;", &[])]);
        let dl = delta(&base, &moved, &base);
        assert!(dl.new.is_empty() && dl.fixed.is_empty());
        let two = Counted::new(&[
            d("mm/a.c", 16, "shadow x", "int x;", &[]),
            d("mm/a.c", 40, "shadow x", "int x;", &[]),
        ]);
        let dl = delta(&moved, &two, &base);
        assert_eq!(dl.new.len(), 1);
        assert_eq!(dl.new[0].line, Some(40));
        let dl = delta(&two, &Counted::default(), &base);
        assert_eq!(dl.fixed.len(), 2);
        // Back again after being fixed: it was in the base, so it is not new.
        let dl = delta(&Counted::default(), &moved, &base);
        assert!(dl.new.is_empty());
        assert_eq!(dl.reappeared.len(), 1);
        // The same header warning printed by two units counts once.
        let h = Counted::new(&[d("x.h", 3, "m", "s", &[]), d("x.h", 3, "m", "s", &[])]);
        assert_eq!(h.count(&d("x.h", 3, "m", "s", &[]).fingerprint), 1);
    }
}
