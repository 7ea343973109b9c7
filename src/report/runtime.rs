//! Rendering runtime results on the terminal (JUnit is in `junit`, JSON is the serde data).
//! Reporters never decide verdicts.

use super::table::{Align, Table};
use crate::runtime::{BootResult, BootVerdict, RuntimeSummary};

fn secs(v: Option<f64>) -> String {
    v.map(|s| format!("{s:.1}s")).unwrap_or_else(|| "-".into())
}

/// One line for progress output.
pub fn one_line(r: &BootResult) -> String {
    let mut s = format!("{} {}", r.test, r.verdict);
    if !matches!(r.verdict, BootVerdict::Skipped | BootVerdict::NotApplicable) {
        s.push_str(&format!(
            " (boot {}, test {})",
            secs(r.boot_s),
            secs(r.test_s)
        ));
    }
    if let Some(reason) = &r.reason {
        s.push_str(": ");
        s.push_str(reason);
    }
    s
}

/// The results table: per cell and test, the test's findings and kcross's workarounds,
/// and for failures the reason, the KTAP line and the complaints.
/// A KUnit run as table lines: `kunit <suite>: <n> ok, <n> failed, <n> skipped`, then each
/// case that did not pass with its reason.
fn kunit_lines(k: &crate::runtime::kunit::KunitRun) -> Vec<String> {
    use crate::runtime::ktap::KtapStatus;
    let mut out = Vec::new();
    for s in &k.suites {
        let n = |st: KtapStatus| s.subtests.iter().filter(|c| c.status == st).count();
        out.push(format!(
            "    kunit {}: {} ok, {} failed, {} skipped{}",
            s.name,
            n(KtapStatus::Ok),
            n(KtapStatus::NotOk) + n(KtapStatus::Missing),
            n(KtapStatus::Skip),
            if s.status == KtapStatus::Missing {
                " (the output ends inside it)"
            } else {
                ""
            }
        ));
    }
    for c in k.cases() {
        if c.case.status != KtapStatus::Ok {
            out.push(format!(
                "      {}.{}: {}",
                c.suite,
                c.name(),
                c.reason().unwrap_or_default()
            ));
        }
    }
    for p in &k.problems {
        out.push(format!("    kunit KTAP: {p}"));
    }
    out
}

pub fn table(s: &RuntimeSummary) -> String {
    let mut t = Table::new()
        .col("CELL", Align::Left)
        .col("TEST", Align::Left)
        .col_min("VERDICT", Align::Left, 9)
        .col_min("BOOT", Align::Right, 7)
        .col_min("TEST", Align::Right, 7)
        .col("QEMU RSS", Align::Right);
    for r in &s.results {
        let rss = r
            .qemu_peak_rss_kib
            .map(|k| format!("{} MiB", k / 1024))
            .unwrap_or_else(|| "-".into());
        t.row(vec![
            r.cell.clone(),
            r.test.clone(),
            r.verdict.to_string(),
            secs(r.boot_s),
            secs(r.test_s),
            rss,
        ]);
        // what the test found out about the kernel, and what kcross did around it
        for f in &r.findings {
            t.text(format!("    finding: {f}"));
        }
        for w in &r.workarounds {
            t.text(format!("    workaround {}: {}", w.name, w.what));
            t.text(format!("      why: {}", w.why));
        }
        // a KUnit boot: each suite with its case counts, and every case that did not pass
        if let Some(k) = &r.kunit {
            for line in kunit_lines(k) {
                t.text(line);
            }
        }
        if r.verdict == BootVerdict::Pass {
            continue;
        }
        if let Some(reason) = &r.reason {
            t.text(format!("    {reason}"));
        }
        if let Some(k) = r.result() {
            if r.verdict == BootVerdict::Fail
                && !r.reason.as_deref().unwrap_or("").contains(&k.line)
            {
                t.text(format!("    {}", k.line));
            }
        }
        for c in r.complaints.iter().take(8) {
            t.text(format!("    | {c}"));
        }
        if r.complaints.len() > 8 {
            t.text(format!("    | ... {} more", r.complaints.len() - 8));
        }
        if let Some(l) = &r.console_log {
            t.text(format!("    console: {}", l.display()));
        }
    }
    let mut out = t.render();
    out.push_str(&format!(
        "{} boot(s): {} passed, {} failed, {} boot failure(s), {} timed out, {} skipped, {} not applicable; wall {:.1}s, source {}, results {}\n",
        s.results.len(),
        s.count(BootVerdict::Pass),
        s.count(BootVerdict::Fail),
        s.count(BootVerdict::BootFailure),
        s.count(BootVerdict::Timeout),
        s.count(BootVerdict::Skipped),
        s.count(BootVerdict::NotApplicable),
        s.wall_s,
        s.source,
        s.out_dir.join("runtime.json").display()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Export;

    /// A real runtime.json (tests/fixtures/runtime/README.md).
    fn summary(name: &str) -> RuntimeSummary {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/runtime")
            .join(name);
        crate::runtime::load_summary(&p).unwrap()
    }

    #[test]
    fn findings_and_workarounds_are_shown() {
        let ppc = summary("powerpc64le-6.12.runtime.json");
        let t = table(&ppc);
        assert!(
            t.contains(
                "\n    finding: pud: kept after mprotect(PROT_READ) (0 faults to read GiB 0 back)\n"
            ),
            "{t}"
        );
        assert!(
            t.contains("\n    workaround nvdimm-dax-info: kcross wrote the device-dax info block"),
            "{t}"
        );
        assert!(
            t.contains("\n      why: QEMU 10.0's TCG does not implement dcbstps"),
            "{t}"
        );
        let x = crate::report::junit::Junit.render(&ppc);
        assert!(
            x.contains(r#"<property name="workaround.nvdimm-dax-info" value="nvdimm-dax-info: kcross wrote"#),
            "{x}"
        );
        assert!(
            x.contains("workaround: nvdimm-dax-info: "),
            "system-out: {x}"
        );

        // a failure: its findings, then why it failed, the complaints
        let x86 = summary("x86_64-6.1.runtime.json");
        let t = table(&x86);
        let finding = t
            .find("    finding: pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)")
            .expect("the finding");
        let complaint = t.find("    | mm/pgtable-generic.c:39: bad pud").expect(&t);
        assert!(finding < complaint, "{t}");
        assert!(!t.contains("workaround"), "{t}");
        let x = crate::report::junit::Junit.render(&x86);
        assert!(x.contains("<failure"), "{x}");
        assert!(
            x.contains(r#"<property name="finding.pud" value="zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)"/>"#),
            "{x}"
        );
    }
}
