//! The fast mode's probe (`SeriesMode::Fast`): for a cell that builds a full image, the base
//! and the tip are built in full, and every patch in between compiles only a few units in a
//! second build dir of the same configuration: the `.c` files the series touches (those this
//! config builds) and one unit of each of the tip's findings. What a step "has" is then the
//! base's diagnostics with the probed units' replaced by the probe's, so the usual comparison
//! attributes each finding to the first patch whose probe shows it.
//!
//! What it cannot see: a file-less finding (a link, modpost or make one) of the tip; the gate
//! bisects those with full builds (`place.rs`), or with `--no-bisect` leaves them on the
//! last patch, marked `unattributed`. And the states in between are not proven to link, nor
//! every dependent of a changed header to compile. `--every-patch` proves both.

use crate::diag::state::{key_of, object_unit, stem, targets_key, DiagState};
use crate::diag::Diagnostic;
use crate::plan::Cell;
use std::collections::BTreeSet;
use std::path::Path;

/// A cell is probed when it builds more than objects: an object cell is as cheap to step
/// through in full as its probe would be.
pub fn is_probed(c: &Cell) -> bool {
    !c.targets.iter().all(|t| object_unit(t).is_some())
}

/// The probe's make targets for one cell (sorted `unit.o`): the series' `.c` and `.S` files
/// whose object the base build made, and one unit of every diagnostic that differs between
/// the base and the tip (for a header's, the first unit that printed it).
pub fn probe_targets(
    build_dir: &Path,
    series_files: &BTreeSet<String>,
    base: &DiagState,
    tip: &DiagState,
    changed: &[Diagnostic],
) -> Vec<String> {
    let mut units: BTreeSet<String> = BTreeSet::new();
    for f in series_files {
        if !(f.ends_with(".c") || f.ends_with(".S")) {
            continue;
        }
        if let Some(u) = stem(f) {
            if build_dir.join(format!("{u}.o")).is_file() {
                units.insert(u);
            }
        }
    }
    for d in changed {
        let k = key_of(d);
        if let Some(u) = k.strip_prefix("u:") {
            units.insert(u.to_string());
        } else if k.starts_with("h:") {
            let printed = tip
                .header_units
                .get(&k)
                .into_iter()
                .chain(base.header_units.get(&k))
                .flatten()
                .min();
            if let Some(u) = printed {
                units.insert(u.clone());
            }
        }
    }
    units.into_iter().map(|u| format!("{u}.o")).collect()
}

/// What the tree has at a probed step: the probe's configure diagnostics, the base's
/// diagnostics outside the probed units (`targets` are the cell's own), and the probe's.
pub fn merged_view(
    base: &DiagState,
    targets: &[String],
    probe: &DiagState,
    probe_targets: &[String],
) -> Vec<Diagnostic> {
    let units: BTreeSet<String> = probe_targets
        .iter()
        .filter_map(|t| object_unit(t))
        .collect();
    let tkey = targets_key(targets);
    let mut v = probe.configure.clone();
    for (k, ds) in &base.units {
        if k.starts_with("t:") && *k != tkey {
            continue;
        }
        let covered = if let Some(u) = k.strip_prefix("u:") {
            units.contains(u)
        } else if k.starts_with("h:") {
            probe.units.contains_key(k)
                || base
                    .header_units
                    .get(k)
                    .is_some_and(|us| !us.is_empty() && us.iter().all(|u| units.contains(u)))
        } else {
            false
        };
        if !covered {
            v.extend(ds.iter().cloned());
        }
    }
    v.extend(probe.of_targets(probe_targets));
    v
}

/// Is a finding on a probed cell one the probe cannot place (no file: link, modpost, make)?
pub fn unplaceable(d: &Diagnostic) -> bool {
    key_of(d).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Severity, Tool};
    use std::collections::BTreeMap;

    fn d(file: Option<&str>, msg: &str) -> Diagnostic {
        Diagnostic {
            code: "cc-warning".into(),
            severity: Severity::Warning,
            tool: Tool::Compiler,
            file: file.map(String::from),
            line: Some(1),
            column: None,
            flag: None,
            message: msg.into(),
            function: None,
            source_line: None,
            notes: vec![],
            cell: String::new(),
            fingerprint: msg.into(),
        }
    }

    fn state(entries: &[(&str, Vec<Diagnostic>)], hu: &[(&str, &[&str])]) -> DiagState {
        DiagState {
            units: entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            header_units: hu
                .iter()
                .map(|(k, us)| (k.to_string(), us.iter().map(|u| u.to_string()).collect()))
                .collect::<BTreeMap<_, BTreeSet<_>>>(),
            ..Default::default()
        }
    }

    fn msgs(v: &[Diagnostic]) -> Vec<&str> {
        let mut m: Vec<&str> = v.iter().map(|d| d.message.as_str()).collect();
        m.sort();
        m
    }

    #[test]
    fn a_probed_unit_replaces_the_base_and_the_rest_is_kept() {
        let targets = vec!["vmlinux".to_string()];
        let base = state(
            &[
                (
                    "u:mm/mprotect",
                    vec![d(Some("mm/mprotect.c"), "old in mprotect")],
                ),
                (
                    "u:mm/memory",
                    vec![d(Some("mm/memory.c"), "kept in memory")],
                ),
                (
                    "h:include/linux/mm.h",
                    vec![d(Some("include/linux/mm.h"), "header")],
                ),
                ("t:vmlinux", vec![d(None, "link warning")]),
                ("t:other", vec![d(None, "another make's")]),
            ],
            &[("h:include/linux/mm.h", &["mm/mprotect"])],
        );
        // The probe compiled mm/mprotect.o: its old warning is gone, a new one came, and the
        // header warning (printed only by mprotect in the base) went with it.
        let probe = state(
            &[(
                "u:mm/mprotect",
                vec![d(Some("mm/mprotect.c"), "new in mprotect")],
            )],
            &[],
        );
        let v = merged_view(&base, &targets, &probe, &["mm/mprotect.o".into()]);
        assert_eq!(
            msgs(&v),
            ["kept in memory", "link warning", "new in mprotect"]
        );
        // Nothing probed: the base as it is (this cell's make only).
        let empty = DiagState::default();
        let v = merged_view(&base, &targets, &empty, &[]);
        assert_eq!(
            msgs(&v),
            [
                "header",
                "kept in memory",
                "link warning",
                "old in mprotect"
            ]
        );
    }

    #[test]
    fn the_probe_takes_the_series_sources_and_one_unit_per_finding() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mm")).unwrap();
        std::fs::write(dir.path().join("mm/mprotect.o"), b"").unwrap();
        let files: BTreeSet<String> = [
            "mm/mprotect.c",
            "mm/not-built.c",
            "include/linux/huge_mm.h",
            "arch/x86/include/asm/pgtable.h",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let tip = state(&[], &[("h:include/linux/huge_mm.h", &["mm/zz", "mm/aa"])]);
        let changed = vec![
            d(Some("mm/memory.c"), "a"),
            d(Some("include/linux/huge_mm.h"), "b"),
            d(None, "c"),
        ];
        let t = probe_targets(dir.path(), &files, &DiagState::default(), &tip, &changed);
        assert_eq!(t, ["mm/aa.o", "mm/memory.o", "mm/mprotect.o"]);
        assert!(unplaceable(&changed[2]) && !unplaceable(&changed[0]));
    }
}
