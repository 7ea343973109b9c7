use super::*;
use crate::series::SeriesResult;
use regex::Regex;
use std::path::PathBuf;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

/// A real gate's result: v1 of the pud series on v5's base (tests/fixtures/series-result).
pub fn v1_on_v5() -> SeriesResult {
    let p = fixture("series-result/v1-on-v5.series.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// The sections of the kernel test robot's reports, in their order, as line patterns.
const LAYOUT: &[(&str, &str)] = &[
    ("greeting", r"^Hi( [^,]+)?,$"),
    (
        "headline",
        r"^.+ noticed the following build (errors|warnings):$",
    ),
    ("tree", r"^\[auto build test (ERROR|WARNING) on .+\]$"),
    ("base", r"^base: +\S"),
    ("patch subject", r"^patch subject: +\S"),
    ("config", r"^config: \S+"),
    ("compiler", r"^compiler: \S+"),
    ("reproduce", r"^reproduce( \(.*\))?:"),
    ("tags", r"^If you fix the issue in a separate patch/commit"),
    ("reported-by", r"^\| Reported-by: .+ <[^>]+>$"),
    ("closes", r"^\| Closes: \S+$"),
    (
        "all",
        r"^All (errors|warnings) \(new ones prefixed by >>\):$",
    ),
    ("signature", r"^-- $"),
];

/// Line numbers of each section, in the order required; panics naming what is missing.
fn layout(text: &str, who: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    let mut found = Vec::new();
    for (name, pat) in LAYOUT {
        let re = Regex::new(pat).unwrap();
        let i = lines[at..]
            .iter()
            .position(|l| re.is_match(l))
            .unwrap_or_else(|| panic!("{who}: no {name} ({pat}) after line {at}:\n{text}"));
        at += i;
        found.push(at);
        at += 1;
    }
    found
}

/// The diagnostics block under "All errors": (marked, line) until the first blank line
/// that is followed by something unindented.
fn all_errors(text: &str) -> Vec<(bool, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("All errors") || l.starts_with("All warnings"))
        .unwrap();
    let mut out = Vec::new();
    for l in &lines[start + 1..] {
        if l.is_empty() {
            if out.is_empty() {
                continue;
            }
            break;
        }
        assert!(
            l.starts_with(">> ") || l.starts_with("   "),
            "not a diagnostics line: {l:?}"
        );
        out.push((l.starts_with(">> "), l[3..].to_string()));
    }
    out
}

/// A header's value, unfolded.
fn header(text: &str, name: &str) -> Option<String> {
    let head = text.split("\n\n").next().unwrap().replace("\n ", " ");
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::to_string)
}

#[test]
fn the_captured_robot_mail_has_the_layout() {
    let robot =
        std::fs::read_to_string(fixture("mail/kernel-test-robot-202401282130.cXuwGvQq.eml"))
            .unwrap();
    layout(&robot, "robot");
    let errs = all_errors(&robot);
    let marked: Vec<&String> = errs.iter().filter(|(m, _)| *m).map(|(_, l)| l).collect();
    assert_eq!(marked.len(), 2, "{errs:?}");
    assert!(marked.iter().all(|l| l.contains(": error: ")));
    assert!(errs
        .iter()
        .any(|(m, l)| !m && l.contains(": warning: passing argument 2")));
}

fn options() -> Options {
    let mut cells = BTreeMap::new();
    cells.insert(
        "powerpc64le-gcc-pud".to_string(),
        CellInfo {
            config: "tinyconfig + boot.config dax.config powerpc64le.config".into(),
            compiler: "powerpc64le-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0".into(),
            make_vars: vec![
                "ARCH=powerpc".into(),
                "CROSS_COMPILE=powerpc64le-linux-gnu-".into(),
                "KCFLAGS=-Wshadow -Wno-error=shadow".into(),
            ],
        },
    );
    Options {
        from: DEFAULT_FROM.into(),
        base_url: None,
        cells,
    }
}

/// v1 on v5's base: one reply, to 4/7 (the only patch with something new), in the robot's
/// layout; `>>` on exactly the five new errors, the pre-existing kexec.h warning of the same
/// unit shown without it; threaded under 4/7 and the cover.
#[test]
fn the_reply_to_4_of_7_has_the_robots_layout_and_marks_exactly_the_new_errors() {
    let r = v1_on_v5();
    let replies = replies(&r, &options());
    assert_eq!(
        replies.iter().map(|x| x.patch).collect::<Vec<_>>(),
        [4],
        "only 4/7 brought something new"
    );
    let m = &replies[0];
    assert_eq!(m.file_name, "reply-4.eml");
    let t = &m.text;
    let at = layout(t, "kcross");
    assert!(t.lines().nth(at[1]).unwrap().starts_with("kcross noticed"));
    assert_eq!(
        header(t, "Subject").as_deref(),
        Some("Re: [PATCH 4/7] mm/powerpc: Add missing pud helpers")
    );
    assert_eq!(
        header(t, "In-Reply-To").as_deref(),
        Some("<20240621142504.1940209-5-peterx@redhat.com>")
    );
    assert_eq!(
        header(t, "References").as_deref(),
        Some("<20240621142504.1940209-1-peterx@redhat.com> <20240621142504.1940209-5-peterx@redhat.com>")
    );
    assert_eq!(
        header(t, "To").as_deref(),
        Some("\"Peter Xu\" <peterx@redhat.com>")
    );
    assert!(t.contains("\nHi Peter,\n"));
    assert!(t.contains("\nconfig: powerpc64le-gcc-pud (tinyconfig + "));
    assert!(t.contains("\ncompiler: powerpc64le-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\n"));
    assert!(!t.contains("config: x86_64"), "x86_64 had nothing new");
    // The exact make commands of the cell, with its .config from the step.
    assert!(t.contains(
        "make O=build_dir ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- 'KCFLAGS=-Wshadow -Wno-error=shadow' mm/huge_memory.o"
    ), "{t}");
    assert!(t.contains("/steps/04/powerpc64le-gcc-pud/config build_dir/.config"));
    assert!(t.contains("/patches/0004.patch\n") && !t.contains("/patches/0005.patch"));

    let ppc = r.steps[4]
        .cells
        .iter()
        .find(|c| c.result.cell == "powerpc64le-gcc-pud")
        .unwrap();
    let errs = all_errors(t);
    let marked: Vec<&String> = errs.iter().filter(|(m, _)| *m).map(|(_, l)| l).collect();
    let new: Vec<String> = ppc
        .new
        .iter()
        .map(crate::report::series::diag_line)
        .collect();
    assert_eq!(new.len(), 5);
    assert_eq!(marked.len(), new.len(), "{errs:#?}");
    for n in &new {
        assert!(marked.contains(&n), "{n} not marked: {errs:#?}");
    }
    assert!(marked.iter().all(|l| l.contains(": error: ")));
    assert!(
        errs.iter().any(|(m, l)| !m && l.starts_with(
            "arch/powerpc/include/asm/kexec.h:198:42: warning: declaration of ‘crash_ipi_callback’"
        )),
        "the pre-existing warning of the unit, unmarked: {errs:#?}"
    );
    // Its quoted source line, verbatim.
    assert!(errs.iter().any(|(_, l)| l
        == "  179 | pmd_t pudp_invalidate(struct vm_area_struct *vma, unsigned long address,"));
    // Diagnostics of other units (mm/huge_memory.c) are not this patch's business.
    assert!(!t.contains("mm/huge_memory.c:1344"));
}

/// A subject or author with line breaks (a crafted patch) cannot add a header.
#[test]
fn a_crafted_subject_cannot_inject_headers() {
    let mut r = v1_on_v5();
    r.series.patches[3].raw_subject =
        "[PATCH 4/7] x\r\nBcc: victim@example.org\r\n\r\nfake body".into();
    r.series.patches[3].author = Some("Eve <eve@example.org>\nCc: more@example.org".into());
    r.series.patches[3].message_id = Some("a@b>\nX-Evil: 1".into());
    let t = &replies(&r, &options())[0].text;
    let head = t.split("\n\n").next().unwrap();
    for l in head.lines() {
        assert!(
            l.starts_with(' ')
                || [
                    "From:",
                    "To:",
                    "Subject:",
                    "Date:",
                    "Message-ID:",
                    "In-Reply-To:",
                    "References:",
                    "MIME-Version:",
                    "Content-Type:",
                    "Content-Transfer-Encoding:"
                ]
                .iter()
                .any(|h| l.starts_with(h)),
            "injected header line {l:?} in\n{head}"
        );
    }
    assert!(!t.contains('\r'));
}

#[test]
fn stdout_mbox_escapes_from_lines() {
    let r = v1_on_v5();
    let mut rs = replies(&r, &options());
    rs[0].text.push_str("From the log\n");
    let m = mbox(&rs);
    assert!(m.starts_with("From kcross "));
    assert!(m.contains("\n>From the log\n"));
    let back = crate::series::mbox::split_mbox(&m);
    assert_eq!(back.len(), 1);
    assert_eq!(
        back[0].subject,
        "Re: [PATCH 4/7] mm/powerpc: Add missing pud helpers"
    );
}
