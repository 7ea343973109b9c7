//! The constructed runs and HTML helpers of tests/history.rs and tests/history_report.rs.
#![allow(dead_code)]

use html5ever::tendril::TendrilSink;
use html5ever::{parse_document, ParseOpts};
use kcross::build::{CellResult, RunSummary, Stage, Timings, Verdict};
use kcross::diag::{fingerprint, Diagnostic, Severity, Tool};
use kcross::history::ReportOptions;
use kcross::history::{HelperVerdictRow, History, RecordedRun, RuntimeRow};
use kcross::outcome::Outcome;
use kcross::report::html::Html;
use kcross::report::Export;
use kcross::source::{SourceKind, SourceTree};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- fixtures

pub fn diag(
    cell: &str,
    sev: Severity,
    file: &str,
    line: u32,
    flag: Option<&str>,
    msg: &str,
    src: &str,
) -> Diagnostic {
    let mut d = Diagnostic {
        code: match sev {
            Severity::Error => "cc-error",
            _ => "cc-warning",
        }
        .into(),
        severity: sev,
        tool: Tool::Compiler,
        file: Some(file.into()),
        line: Some(line),
        column: Some(9),
        flag: flag.map(str::to_string),
        message: msg.into(),
        function: Some("change_huge_pud".into()),
        source_line: Some(src.into()),
        notes: vec![],
        cell: cell.into(),
        fingerprint: String::new(),
    };
    d.fingerprint = fingerprint(&d);
    d
}

pub fn warning(cell: &str, file: &str, line: u32, var: &str) -> Diagnostic {
    diag(
        cell,
        Severity::Warning,
        file,
        line,
        Some("-Wunused-variable"),
        &format!("unused variable '{var}'"),
        &format!("spinlock_t *{var};"),
    )
}

pub fn cell(
    out: &Path,
    arch: &str,
    tc: &str,
    config: &str,
    build_s: f64,
    diags: Vec<Diagnostic>,
) -> CellResult {
    let id = format!("{arch}-{tc}-{config}");
    let errors = diags.iter().filter(|d| d.is_error()).count();
    CellResult {
        cell: id.clone(),
        arch: arch.into(),
        toolchain: tc.into(),
        config: config.into(),
        targets: vec!["vmlinux".into()],
        config_key: String::new(),
        verdict: if errors > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
        failed_stage: (errors > 0).then_some(Stage::Build),
        reason: diags
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.location(), d.message)),
        timings: Timings {
            configure_s: 2.5,
            build_s,
            total_s: build_s + 2.5,
        },
        config_reused: true,
        incremental: Some(false),
        printed: 0,
        errors,
        warnings: diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count(),
        diagnostics: diags,
        dir: out.join("cells").join(&id),
        build_dir: PathBuf::from("/var/cache/kcross/build").join(&id),
        image: None,
        timeout: None,
        sandboxed: false,
        wrapper: None,
    }
}

pub fn summary(out: &Path, matrix: &str, started: &str, cells: Vec<CellResult>) -> RunSummary {
    RunSummary {
        kcross_version: "0.1.0".into(),
        matrix: matrix.into(),
        matrix_origin: format!("matrices/{matrix}.toml"),
        source: SourceTree {
            kind: SourceKind::Tarball,
            origin: "linux-source-6.12".into(),
            root: "/var/cache/kcross/src/3f2a9c1d0b7e4a55/linux-source-6.12".into(),
            key: "3f2a9c1d0b7e4a55".into(),
            build_key: String::new(),
            version: "6.12.57".into(),
        },
        started_at: started.into(),
        wall_s: 412.0,
        jobs: 2,
        out_dir: out.to_path_buf(),
        cells,
        known: Default::default(),
        shard: None,
    }
}

const ARCHES: [&str; 4] = ["x86_64", "powerpc64le", "arm64", "riscv64"];

/// A healthy night: four cells, each with a warning or two, times around 100s.
pub fn good_night(out: &Path, started: &str, line_shift: u32, jitter: f64) -> RecordedRun {
    let cells = ARCHES
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let id = format!("{a}-gcc-pud");
            let mut d = vec![warning(&id, "mm/huge_memory.c", 2150 + line_shift, "ptl")];
            if i % 2 == 0 {
                d.push(warning(
                    &id,
                    &format!("arch/{a}/mm/pgtable.c"),
                    88 + line_shift,
                    "old",
                ));
            }
            cell(out, a, "gcc", "pud", 100.0 + 10.0 * i as f64 + jitter, d)
        })
        .collect();
    let mut run = RecordedRun::new(summary(out, "pud-helpers", started, cells), vec![], vec![]);
    for a in ARCHES {
        let id = format!("{a}-gcc-pud");
        for h in ["pudp_invalidate", "pud_mkinvalid"] {
            run.check.push(HelperVerdictRow {
                cell: id.clone(),
                helper: h.into(),
                verdict: "ok".into(),
                outcome: Outcome::Pass,
                evidence: format!("T {h} in mm/pgtable-generic.o"),
            });
        }
        run.log_tails.insert(
            id.clone(),
            format!("  CC      mm/mprotect.o\n  LD      vmlinux\n  OBJCOPY arch/{a}/boot/Image\n"),
        );
    }
    run.runtime.push(RuntimeRow {
        cell: "x86_64-gcc-pud".into(),
        test: "devdax-pud-mprotect".into(),
        verdict: "pass".into(),
        outcome: Outcome::Pass,
        detail: "mprotect on a 1G devdax mapping: ok".into(),
        duration_s: Some(41.0),
        findings: Vec::new(),
        workarounds: Vec::new(),
    });
    run
}

/// The same night with one cell broken by an injected error.
pub fn broken_night(out: &Path, started: &str) -> RecordedRun {
    let mut run = good_night(out, started, 3, 2.0);
    let c = &mut run.summary.cells[0];
    let err = diag(
        &c.cell,
        Severity::Error,
        "mm/mprotect.c",
        421,
        Some("-Werror=implicit-function-declaration"),
        "implicit declaration of function 'pudp_invalidate_ad'; did you mean 'pudp_invalidate'?",
        "pudp_invalidate_ad(vma, addr, pudp);",
    );
    c.diagnostics.push(err.clone());
    c.errors = 1;
    c.verdict = Verdict::Fail;
    c.failed_stage = Some(Stage::Build);
    c.reason = Some(format!("{}: {}", err.location(), err.message));
    c.timings.build_s = 37.0;
    run.log_tails.insert(
        c.cell.clone(),
        "  CC      mm/mprotect.o\nmm/mprotect.c:421:9: error: implicit declaration of function 'pudp_invalidate_ad'\nmake[3]: *** [scripts/Makefile.build:229: mm/mprotect.o] Error 1\n".into(),
    );
    run
}

pub fn opts() -> ReportOptions {
    ReportOptions {
        slower_pct: 25.0,
        trend_runs: 14,
    }
}

pub fn html_of(h: &History, id: i64) -> String {
    Html.render(&h.report(id, 25.0, 14).unwrap())
}

// ---------------------------------------------------------------- HTML helpers

pub fn parse_html(html: &str) -> RcDom {
    let mut o = ParseOpts::default();
    o.tokenizer.exact_errors = true;
    o.tree_builder.exact_errors = true;
    parse_document(RcDom::default(), o)
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .unwrap()
}

/// (namespace, local name, attributes) of an element.
pub type Element = (String, String, Vec<(String, String)>);

/// Every element of the document, in order.
pub fn elements(h: &Handle, out: &mut Vec<Element>) {
    if let NodeData::Element { name, attrs, .. } = &h.data {
        out.push((
            name.ns.to_string(),
            name.local.to_string(),
            attrs
                .borrow()
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect(),
        ));
    }
    for c in h.children.borrow().iter() {
        elements(c, out);
    }
}

pub fn text_content(h: &Handle, out: &mut String) {
    if let NodeData::Text { contents } = &h.data {
        out.push_str(&contents.borrow());
    }
    for c in h.children.borrow().iter() {
        text_content(c, out);
    }
}

/// The pud-helpers matrix on gcc and clang over eight nights; on the last one a patch breaks
/// riscv64/clang, adds a warning on arm64/gcc, and loses a helper on riscv64/gcc.
pub fn sample_night(out: &Path, started: &str, n: u32) -> RecordedRun {
    let last = n == 7;
    let mut cells = Vec::new();
    for (ai, a) in ARCHES.iter().enumerate() {
        for (ti, tc) in ["gcc", "clang"].iter().enumerate() {
            let id = format!("{a}-{tc}-pud");
            let mut d = vec![warning(&id, "mm/huge_memory.c", 2150, "ptl")];
            if n >= 3 && *a == "powerpc64le" {
                d.push(diag(
                    &id,
                    Severity::Warning,
                    "arch/powerpc/mm/book3s64/pgtable.c",
                    312,
                    Some("-Wmissing-prototypes"),
                    "no previous prototype for 'pudp_huge_get_and_clear_full'",
                    "pud_t pudp_huge_get_and_clear_full(struct vm_area_struct *vma,",
                ));
            }
            if n < 2 && *a == "arm64" {
                d.push(warning(&id, "arch/arm64/mm/hugetlbpage.c", 90, "contig"));
            }
            if last && *a == "arm64" && *tc == "gcc" {
                d.push(diag(
                    &id,
                    Severity::Warning,
                    "mm/mprotect.c",
                    433,
                    Some("-Wunused-but-set-variable"),
                    "variable 'oldpud' set but not used",
                    "pud_t oldpud;",
                ));
            }
            if last && *a == "riscv64" && *tc == "clang" {
                d.push(diag(
                    &id,
                    Severity::Error,
                    "mm/mprotect.c",
                    421,
                    Some("-Wimplicit-function-declaration"),
                    "call to undeclared function 'pudp_invalidate_ad'; ISO C99 and later do not support implicit function declarations",
                    "pudp_invalidate_ad(vma, addr, pudp);",
                ));
            }
            let base = [212.0, 248.0, 231.0, 266.0][ai] * if ti == 1 { 1.18 } else { 1.0 };
            let wobble = ((n * 7 + ai as u32 * 3 + ti as u32) % 5) as f64 * 2.5;
            let mut c = cell(out, a, tc, "pud", base + wobble, d);
            if c.verdict == Verdict::Fail {
                c.timings.build_s = 74.2;
            }
            cells.push(c);
        }
    }
    let mut s = summary(out, "pud-helpers", started, cells);
    s.wall_s = 1840.0 + n as f64 * 11.0;
    let mut run = RecordedRun::new(s, vec![], vec![]);
    for c in &run.summary.cells {
        let tail = if c.verdict == Verdict::Fail {
            "  CC      mm/memory.o\n  CC      mm/mprotect.o\nmm/mprotect.c:421:3: error: call to undeclared function 'pudp_invalidate_ad'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]\n  421 |                 pudp_invalidate_ad(vma, addr, pudp);\n      |                 ^\n1 error generated.\nmake[4]: *** [scripts/Makefile.build:229: mm/mprotect.o] Error 1\nmake[3]: *** [scripts/Makefile.build:478: mm] Error 2\nmake[2]: *** [Makefile:1946: .] Error 2\nmake[1]: *** [Makefile:224: __sub-make] Error 2\nmake: *** [Makefile:224: __sub-make] Error 2\n".to_string()
        } else {
            format!("  CC      mm/mprotect.o\n  AR      mm/built-in.a\n  AR      built-in.a\n  AR      vmlinux.a\n  LD      vmlinux.o\n  MODPOST vmlinux.symvers\n  LD      vmlinux\n  NM      System.map\n  Kernel: arch/{}/boot/Image is ready\n", c.arch)
        };
        run.log_tails.insert(c.cell.clone(), tail);
        for hname in [
            "pudp_invalidate",
            "pud_modify",
            "pud_mkinvalid",
            "pudp_establish",
            "change_huge_pud",
        ] {
            let missing = last && c.cell == "riscv64-gcc-pud" && hname == "pud_mkinvalid";
            let verdict = if c.verdict == Verdict::Fail {
                "skipped"
            } else if missing {
                "missing"
            } else {
                "provided"
            };
            run.check.push(HelperVerdictRow {
                cell: c.cell.clone(),
                helper: hname.into(),
                verdict: verdict.into(),
                outcome: match verdict {
                    "provided" => Outcome::Pass,
                    "missing" => Outcome::Fail,
                    _ => Outcome::Skipped,
                },
                evidence: if missing {
                    "no symbol pud_mkinvalid in vmlinux (CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD=n?)".into()
                } else if verdict == "provided" {
                    format!("T {hname} (vmlinux)")
                } else {
                    "build failed".into()
                },
            });
        }
    }
    for (cell, secs) in [("x86_64-gcc-pud", 38.0), ("powerpc64le-gcc-pud", 61.0)] {
        run.runtime.push(RuntimeRow {
            cell: cell.into(),
            test: "devdax-pud-mprotect".into(),
            verdict: "pass".into(),
            outcome: Outcome::Pass,
            detail: "mprotect(PROT_READ) on a 1 GiB devdax mapping kept the pud: ok".into(),
            duration_s: Some(secs + n as f64 * 0.3),
            findings: Vec::new(),
            workarounds: Vec::new(),
        });
    }
    run
}
