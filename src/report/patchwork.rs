//! Patchwork checks of a gated series (`patchwork.json` in every series run dir; `kcross series
//! --format patchwork`): one check per patch and cell, each ready to POST to patchwork's
//! `/api/patches/<id>/checks/` (REST API, `CheckCreate`: `state` of pending/success/warning/
//! fail, `context` matching `^[-a-zA-Z0-9_]+$`, `description`, `target_url` of at most 200
//! characters). The patch is found by its Message-ID (`GET /api/patches/?msgid=`, API 1.2 and
//! later). kcross never touches the network: `requests` only lists what a client would send.
//! Rendering only: every state comes from `SeriesResult::step_outcome` and the findings.

use crate::outcome::Outcome;
use crate::series::{ChangeKind, Finding, SeriesResult};
use serde::{Deserialize, Serialize};

/// patchwork's limits (docs/api/schemas: `CheckCreate`).
const CONTEXT_MAX: usize = 255;
const TARGET_URL_MAX: usize = 200;
/// kcross's own limit: one line a person reads in patchwork's check list.
const DESCRIPTION_MAX: usize = 200;

/// Where the run's files are published (`--patchwork-base-url`), if anywhere.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `https://ci.example.org/kcross`: the run dir is reachable at `<base>/<run dir name>/`.
    pub base_url: Option<String>,
}

/// The body patchwork's `POST /api/patches/<id>/checks/` takes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckBody {
    pub state: String,
    pub target_url: Option<String>,
    pub context: String,
    pub description: String,
}

/// One check, with what identifies its patch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchCheck {
    /// `4/7`
    pub patch: String,
    pub subject: String,
    /// The patch's Message-ID, without brackets (None: the series had none, e.g. a directory
    /// of diffs; such a patch cannot be matched on patchwork).
    pub msgid: Option<String>,
    /// The cell it was built on.
    pub cell: String,
    pub check: CheckBody,
}

/// `kcross-<cell>`, with anything patchwork refuses in a context replaced by `_`.
pub fn context(cell: &str) -> String {
    let c: String = format!("kcross-{cell}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    c.chars().take(CONTEXT_MAX).collect()
}

/// One line: each control character (CR, LF, tab...) becomes a space; the text is otherwise
/// kept as the compiler wrote it; cut at `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let out = out.trim().to_string();
    if out.chars().count() <= max {
        out
    } else {
        let mut t: String = out.chars().take(max.saturating_sub(3)).collect();
        t.push_str("...");
        t
    }
}

/// Where a check points: the run's report, under the base URL or as a `file://` URL; None
/// when that is longer than patchwork takes.
pub fn target_url(r: &SeriesResult, o: &Options, file: &str) -> Option<String> {
    let url = match &o.base_url {
        Some(base) => {
            let name = r
                .run_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{}/{name}/{file}", base.trim_end_matches('/'))
        }
        None => format!("file://{}", r.run_dir.join(file).display()),
    };
    (url.chars().count() <= TARGET_URL_MAX && !url.chars().any(char::is_control)).then_some(url)
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn tally(fs: &[&Finding]) -> String {
    use crate::diag::Severity;
    let e = fs.iter().filter(|f| f.severity == Severity::Error).count();
    let w = fs
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(plural(e, "new error"));
    }
    if w > 0 {
        parts.push(plural(w, "new warning"));
    }
    if fs.len() > e + w {
        parts.push(plural(fs.len() - e - w, "new note"));
    }
    parts.join(", ")
}

/// State and description of one step on one cell.
fn judge(r: &SeriesResult, step: usize, cell: &str) -> (&'static str, String) {
    let fs: Vec<&Finding> = r.findings_of(step, Some(cell)).collect();
    let new: Vec<&Finding> = fs
        .iter()
        .copied()
        .filter(|f| f.kind == ChangeKind::New)
        .collect();
    let first = |v: &[&Finding]| {
        v.first()
            .map(|f| format!(": {}", super::series::diag_line(&f.diagnostic)))
            .unwrap_or_default()
    };
    match r.step_outcome(step, cell) {
        Outcome::Error => (
            "warning",
            "the base does not configure on this cell: kcross cannot judge the patch".into(),
        ),
        Outcome::Fail => {
            let gating: Vec<&Finding> = new.iter().copied().filter(|f| f.gating).collect();
            ("fail", format!("{}{}", tally(&gating), first(&gating)))
        }
        Outcome::Known => {
            let known: Vec<&Finding> = new.iter().copied().filter(|f| f.known_on(cell)).collect();
            let why = known
                .first()
                .and_then(|f| f.known.get(cell))
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            (
                "warning",
                format!("{} only known issues{why}{}", tally(&known), first(&known)),
            )
        }
        _ if !new.is_empty() => (
            "warning",
            format!("{} (not gated){}", tally(&new), first(&new)),
        ),
        _ => {
            let fixed = fs.iter().filter(|f| f.kind == ChangeKind::Fixed).count();
            let back = fs
                .iter()
                .filter(|f| f.kind == ChangeKind::Reappeared)
                .count();
            let mut d = "builds, nothing new".to_string();
            if fixed > 0 {
                d.push_str(&format!("; fixes {}", plural(fixed, "diagnostic")));
            }
            if back > 0 {
                d.push_str(&format!(
                    "; {} back from the base",
                    plural(back, "diagnostic")
                ));
            }
            ("success", d)
        }
    }
}

/// Every check: for each patch (in order) and each cell. With `--last-only` the one step
/// stands for every patch, and says so.
pub fn checks(r: &SeriesResult, o: &Options) -> Vec<PatchCheck> {
    let mut out = Vec::new();
    for step in r.steps.iter().skip(1) {
        for &pi in &step.patches {
            let Some(p) = r.series.patches.get(pi - 1) else {
                continue;
            };
            for cell in &r.cells {
                let (state, d) = judge(r, step.index, cell);
                let d = if r.last_only {
                    format!("whole series at once (--last-only): {d}")
                } else {
                    d
                };
                out.push(PatchCheck {
                    patch: p.label(),
                    subject: p.subject.clone(),
                    msgid: p.message_id.clone(),
                    cell: cell.clone(),
                    check: CheckBody {
                        state: state.into(),
                        target_url: target_url(r, o, "report.md"),
                        context: context(cell),
                        description: one_line(&d, DESCRIPTION_MAX),
                    },
                });
            }
        }
    }
    out
}

/// `patchwork.json`: the checks, pretty JSON.
pub fn render(checks: &[PatchCheck]) -> String {
    let mut s = serde_json::to_string_pretty(checks).expect("serialisable");
    s.push('\n');
    s
}

/// Percent-encoding of a query value (everything but RFC 3986's unreserved characters).
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The requests a client would make to post the checks to the patchwork at `url` (never
/// made by kcross): per patch a lookup by Message-ID, then one POST per check to the id
/// that lookup returned (`{id}`), with a token (`Authorization: Token <token>`).
pub fn requests(checks: &[PatchCheck], url: &str) -> serde_json::Value {
    let api = format!("{}/api", url.trim_end_matches('/'));
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for c in checks {
        let Some(id) = c.msgid.as_deref() else {
            out.push(serde_json::json!({
                "patch": c.patch,
                "cell": c.cell,
                "skipped": "the patch has no Message-ID: patchwork cannot match it",
            }));
            continue;
        };
        if !seen.contains(&id) {
            seen.push(id);
            out.push(serde_json::json!({
                "patch": c.patch,
                "method": "GET",
                "url": format!("{api}/patches/?msgid={}", query_escape(id)),
                "then": "{id} below is the `id` of the one patch this returns",
            }));
        }
        out.push(serde_json::json!({
            "patch": c.patch,
            "method": "POST",
            "url": format!("{api}/patches/{{id}}/checks/"),
            "headers": {
                "Content-Type": "application/json",
                "Authorization": "Token <your patchwork API token>",
            },
            "body": c.check,
        }));
    }
    serde_json::Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counter-case on the same result: the failure, declared known on powerpc64le, is a
    /// warning naming the entry, not a fail.
    #[test]
    fn a_failure_known_on_the_cell_is_a_warning_naming_the_entry() {
        let mut r = super::super::mail::tests::v1_on_v5();
        let cell = "powerpc64le-gcc-pud";
        for f in r.findings.iter_mut().filter(|f| f.kind == ChangeKind::New) {
            f.known
                .insert(cell.into(), "pud_sanitize_prot lands later".into());
        }
        let cs = checks(&r, &Options::default());
        let c = cs
            .iter()
            .find(|c| c.patch == "4/7" && c.cell == cell)
            .unwrap();
        assert_eq!(c.check.state, "warning", "{c:?}");
        assert!(
            c.check
                .description
                .contains("only known issues (pud_sanitize_prot lands later)"),
            "{c:?}"
        );
        assert!(cs.iter().all(|c| c.check.state != "fail"));
    }

    /// v1 on v5's base: 4/7 fails on powerpc64le, every other patch and cell succeeds.
    #[test]
    fn v1_on_v5_fails_4_of_7_on_powerpc64le_only() {
        let r = super::super::mail::tests::v1_on_v5();
        let cs = checks(&r, &Options::default());
        assert_eq!(cs.len(), 14, "7 patches x 2 cells");
        for c in &cs {
            let want = if c.patch == "4/7" && c.cell == "powerpc64le-gcc-pud" {
                "fail"
            } else {
                "success"
            };
            assert_eq!(c.check.state, want, "{c:?}");
            assert_eq!(c.check.context, format!("kcross-{}", c.cell));
            assert!(!c.check.description.contains('\n'));
            assert!(c.msgid.as_deref().unwrap().ends_with("-peterx@redhat.com"));
        }
        let f = cs.iter().find(|c| c.check.state == "fail").unwrap();
        assert_eq!(
            f.msgid.as_deref(),
            Some("20240621142504.1940209-5-peterx@redhat.com")
        );
        assert!(
            f.check.description.starts_with(
                "5 new errors: arch/powerpc/mm/book3s64/pgtable.c:179:7: error: conflicting types"
            ),
            "{}",
            f.check.description
        );
        assert!(f
            .check
            .target_url
            .as_deref()
            .unwrap()
            .starts_with("file:///"));

        let cs = checks(
            &r,
            &Options {
                base_url: Some("https://ci.example.org/kcross/".into()),
            },
        );
        let url = cs[0].check.target_url.clone().unwrap();
        assert!(
            url.starts_with("https://ci.example.org/kcross/20") && url.ends_with("/report.md"),
            "{url}"
        );
        let req = requests(&cs, "https://patchwork.kernel.org/");
        let req = req.as_array().unwrap();
        let gets: Vec<&str> = req
            .iter()
            .filter(|q| q["method"] == "GET")
            .map(|q| q["url"].as_str().unwrap())
            .collect();
        assert_eq!(gets.len(), 7);
        assert_eq!(
            gets[3],
            "https://patchwork.kernel.org/api/patches/?msgid=20240621142504.1940209-5-peterx%40redhat.com"
        );
        let posts: Vec<_> = req.iter().filter(|q| q["method"] == "POST").collect();
        assert_eq!(posts.len(), 14);
        assert_eq!(
            posts[0]["url"],
            "https://patchwork.kernel.org/api/patches/{id}/checks/"
        );
        assert_eq!(posts[7]["body"]["state"], "fail");
        assert_eq!(posts[7]["body"]["context"], "kcross-powerpc64le-gcc-pud");
    }

    #[test]
    fn contexts_and_descriptions_are_what_patchwork_takes() {
        assert_eq!(
            context("x86_64-clang-14.0 pud"),
            "kcross-x86_64-clang-14_0_pud"
        );
        assert_eq!(one_line("a\nb\t c  d\r\n", 100), "a b  c  d");
        assert_eq!(one_line(&"x".repeat(300), 10), "xxxxxxx...");
        assert_eq!(query_escape("a.b-c_d~e@f/g+h"), "a.b-c_d~e%40f%2Fg%2Bh");
    }
}
