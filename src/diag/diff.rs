//! The one difference of two sets of diagnostics, used by the series gate (step against step)
//! and by history (run against run): a multiset difference by fingerprint. A fingerprint has
//! no line numbers, so a diagnostic that only moved is neither new nor fixed; a diagnostic
//! that now occurs twice where it occurred once is new once. The same diagnostic printed
//! several times at one place (a header included by several units) counts once.

use super::{fingerprint, Diagnostic, Severity};
use std::collections::BTreeMap;

/// Diagnostics grouped by fingerprint, one per place.
#[derive(Debug, Clone, Default)]
pub struct Counted {
    pub by_fp: BTreeMap<String, Vec<Diagnostic>>,
}

impl Counted {
    pub fn new<'a>(diags: impl IntoIterator<Item = &'a Diagnostic>) -> Counted {
        let mut by_fp: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for d in diags {
            let mut d = d.clone();
            if d.fingerprint.is_empty() {
                d.fingerprint = fingerprint(&d);
            }
            let v = by_fp.entry(d.fingerprint.clone()).or_default();
            if !v.iter().any(|o| {
                o.file == d.file
                    && o.line == d.line
                    && o.column == d.column
                    && o.message == d.message
            }) {
                v.push(d);
            }
        }
        Counted { by_fp }
    }

    /// Only the diagnostics of one severity.
    pub fn of_severity<'a>(
        diags: impl IntoIterator<Item = &'a Diagnostic>,
        sev: Severity,
    ) -> Counted {
        Counted::new(diags.into_iter().filter(|d| d.severity == sev))
    }

    pub fn count(&self, fp: &str) -> usize {
        self.by_fp.get(fp).map_or(0, Vec::len)
    }
}

/// What `after` has more of than `before` (`new`), and what it has less of (`fixed`), by
/// fingerprint, in fingerprint order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiagDiff {
    pub new: Vec<Diagnostic>,
    pub fixed: Vec<Diagnostic>,
}

pub fn diff(before: &Counted, after: &Counted) -> DiagDiff {
    let mut out = DiagDiff::default();
    for (fp, ds) in &after.by_fp {
        let (a, b) = (ds.len(), before.count(fp));
        if a <= b {
            continue;
        }
        let added = a - b;
        // The occurrences at places `before` did not have are the added ones.
        let before_at: Vec<(Option<String>, Option<u32>)> = before
            .by_fp
            .get(fp)
            .map(|v| v.iter().map(|d| (d.file.clone(), d.line)).collect())
            .unwrap_or_default();
        let mut picked: Vec<&Diagnostic> = ds
            .iter()
            .filter(|d| !before_at.contains(&(d.file.clone(), d.line)))
            .collect();
        for d in ds {
            if picked.len() >= added {
                break;
            }
            if !picked.iter().any(|x| std::ptr::eq(*x, d)) {
                picked.push(d);
            }
        }
        picked.truncate(added);
        out.new.extend(picked.into_iter().cloned());
    }
    for (fp, ds) in &before.by_fp {
        let (b, a) = (ds.len(), after.count(fp));
        if b > a {
            out.fixed.extend(ds.iter().take(b - a).cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(file: &str, line: u32, msg: &str) -> Diagnostic {
        crate::diag::test_warning(file, line, "-Wunused-variable", msg, &format!("int {msg};"))
    }

    #[test]
    fn a_moved_warning_is_neither_new_nor_fixed() {
        let before = Counted::new(&[w("mm/a.c", 10, "x")]);
        let after = Counted::new(&[w("mm/a.c", 14, "x")]);
        assert_eq!(diff(&before, &after), DiagDiff::default());
    }

    #[test]
    fn multiplicity_counts_both_ways() {
        // The same warning at two places before, at one after: one fixed, nothing new.
        let before = Counted::new(&[w("mm/a.c", 10, "x"), w("mm/a.c", 30, "x")]);
        let after = Counted::new(&[w("mm/a.c", 10, "x")]);
        let d = diff(&before, &after);
        assert!(d.new.is_empty());
        assert_eq!(d.fixed.len(), 1);
        // ... and back: the one at the place `before` did not have is the new one.
        let d = diff(&after, &before);
        assert_eq!(d.new.len(), 1);
        assert_eq!(d.new[0].line, Some(30));
        assert!(d.fixed.is_empty());
    }

    #[test]
    fn the_same_place_printed_twice_counts_once_and_a_new_message_is_new() {
        let before = Counted::new(&[w("mm/a.c", 10, "x"), w("mm/a.c", 10, "x")]);
        assert_eq!(before.count(&w("mm/a.c", 10, "x").fingerprint), 1);
        let after = Counted::new(&[w("mm/a.c", 10, "x"), w("mm/a.c", 11, "y")]);
        let d = diff(&before, &after);
        assert_eq!(d.new.len(), 1);
        assert_eq!(d.new[0].message, "y");
        assert!(d.fixed.is_empty());
    }

    #[test]
    fn severity_filter() {
        let mut e = w("mm/b.c", 1, "e");
        e.severity = Severity::Error;
        let all = [w("mm/a.c", 1, "x"), e];
        assert_eq!(Counted::of_severity(&all, Severity::Error).by_fp.len(), 1);
        assert_eq!(Counted::of_severity(&all, Severity::Warning).by_fp.len(), 1);
    }
}
