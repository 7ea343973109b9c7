//! KCIDB export of a recorded run (`kcross report --format kcidb`): one JSON document of
//! KCIDB's I/O schema v5.3 (the latest PyPI's `kcidb-io` validates), ready for
//! `kcidb-submit`. kcross never submits it itself.
//!
//! - one checkout: the source (tree name, version, tarball hash prefix or git commit),
//!   `patchset_hash` (empty: no patches applied; over the patches' sha256s for a series run;
//!   omitted for a recorded run with patches, since the history keeps no patch content) and
//!   a series' `message_id` (its cover letter's, else its first patch's);
//! - a build per cell: architecture, compiler with its version (the build dir's
//!   `CONFIG_CC_VERSION_TEXT`, when the build dir still exists), config, command, duration,
//!   status, log excerpt, output files;
//! - tests: runtime tests (`kcross.boot.<test>`), KUnit cases (`kunit.<suite>.<case>`),
//!   helper-check verdicts (`kcross.check.<helper>`) and a series' steps per cell
//!   (`kcross.series.<k>-of-<n>`);
//! - an issue per diagnostic fingerprint, and an incident per (diagnostic, build).
//!
//! IDs are deterministic: `<origin>:<sha256 hex of the identifying fields>`.

use super::Export;
use crate::build::{CellResult, Verdict};
use crate::history::{RecordedRun, RunReport};
use crate::outcome::Outcome;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The KCIDB schema version written.
pub const SCHEMA_MAJOR: u64 = 5;
pub const SCHEMA_MINOR: u64 = 3;
/// The origin used when none is given.
pub const DEFAULT_ORIGIN: &str = "kcross";
/// KCIDB's `log_excerpt` limit is 16 KiB; kcross keeps its tails below it.
const EXCERPT_BYTES: usize = 16 * 1024;

/// The KCIDB exporter, for one submitting origin (`[a-z0-9_]+`).
pub struct Kcidb {
    pub origin: String,
}

impl Default for Kcidb {
    fn default() -> Self {
        Kcidb {
            origin: DEFAULT_ORIGIN.into(),
        }
    }
}

/// Whether `origin` is a valid KCIDB origin name.
pub fn valid_origin(origin: &str) -> bool {
    !origin.is_empty()
        && origin
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Kcidb {
    /// `<origin>:<sha256 hex over the fields, each NUL-terminated>`.
    fn id(&self, fields: &[&str]) -> String {
        let mut h = Sha256::new();
        for f in fields {
            h.update(f.as_bytes());
            h.update([0u8]);
        }
        format!("{}:{}", self.origin, hex(&h.finalize()))
    }

    /// The whole document for a run.
    pub fn document(&self, run: &RecordedRun) -> Value {
        let s = &run.summary;
        let patch_ids: Vec<&str> = run.patches.iter().map(|p| p.id.as_str()).collect();
        let checkout_id = self.id(&[
            "checkout",
            &s.source.origin,
            &s.source.key,
            &patch_ids.join("\n"),
            &s.started_at,
        ]);
        let mut builds = Vec::new();
        let mut tests = Vec::new();
        let mut issues: BTreeMap<String, Value> = BTreeMap::new();
        let mut incidents = Vec::new();
        for c in &s.cells {
            let build_id = self.id(&["build", &checkout_id, &c.cell]);
            builds.push(self.build(run, c, &checkout_id, &build_id));
            for r in run.runtime_for(&c.cell) {
                let path = runtime_path(&r.test);
                let mut t = self.test(&build_id, &path, r.outcome, &r.detail);
                if let Some(d) = r.duration_s {
                    t["duration"] = json!(d);
                }
                t["misc"] = json!({ "verdict": r.verdict });
                tests.push(t);
            }
            for r in run.checks_for(&c.cell) {
                let path = format!("kcross.check.{}", path_part(&r.helper));
                let mut t = self.test(&build_id, &path, r.outcome, &r.evidence);
                t["misc"] = json!({ "verdict": r.verdict });
                tests.push(t);
            }
            for st in run.steps.iter().filter(|st| st.cell == c.cell) {
                let path = format!(
                    "kcross.series.{}",
                    path_part(&st.label.replace('/', "-of-"))
                );
                let mut t = self.test(&build_id, &path, st.outcome, &st.detail);
                t["misc"] = json!({ "step": st.label });
                tests.push(t);
            }
            for d in &c.diagnostics {
                let issue_id = self.id(&["issue", &d.fingerprint]);
                issues.entry(d.fingerprint.clone()).or_insert_with(|| {
                    json!({
                        "id": issue_id,
                        "version": 1,
                        "origin": self.origin,
                        "culprit": { "code": true },
                        "comment": format!("{}: {}", d.location(), d.message),
                        "misc": {
                            "fingerprint": d.fingerprint,
                            "severity": d.severity,
                            "tool": d.tool,
                            "file": d.file,
                            "line": d.line,
                            "flag": d.flag,
                        },
                    })
                });
                incidents.push(json!({
                    "id": self.id(&["incident", &issue_id, &build_id]),
                    "origin": self.origin,
                    "issue_id": issue_id,
                    "issue_version": 1,
                    "build_id": build_id,
                    "present": true,
                }));
            }
        }
        json!({
            "version": { "major": SCHEMA_MAJOR, "minor": SCHEMA_MINOR },
            "checkouts": [self.checkout(run, &checkout_id)],
            "builds": builds,
            "tests": tests,
            "issues": issues.into_values().collect::<Vec<_>>(),
            "incidents": incidents,
        })
    }

    fn checkout(&self, run: &RecordedRun, id: &str) -> Value {
        let src = &run.summary.source;
        let mut c = Map::new();
        c.insert("id".into(), json!(id));
        c.insert("origin".into(), json!(self.origin));
        c.insert("tree_name".into(), json!(src.origin));
        c.insert("git_commit_name".into(), json!(format!("v{}", src.version)));
        c.insert("start_time".into(), json!(run.summary.started_at));
        c.insert("valid".into(), json!(true));
        let commit = src.key.get(..40).filter(|h| is_hex(h));
        if src.kind == crate::source::SourceKind::Git {
            if let Some(h) = commit {
                c.insert("git_commit_hash".into(), json!(h));
            }
        }
        if run.patches.is_empty() {
            c.insert("patchset_hash".into(), json!(patchset_hash::<&[u8]>(&[])));
        } else if let Some(hashes) = run
            .patches
            .iter()
            .map(|p| p.sha256.as_deref())
            .collect::<Option<Vec<&str>>>()
        {
            c.insert("patchset_hash".into(), json!(patchset_hash_of(&hashes)));
        }
        let message_id = run.message_id.clone().or_else(|| {
            run.patches
                .iter()
                .find(|p| p.id.contains('@'))
                .map(|p| p.id.trim_matches(|ch| ch == '<' || ch == '>').to_string())
        });
        if let Some(m) = message_id {
            c.insert("message_id".into(), json!(m));
        }
        c.insert(
            "misc".into(),
            json!({
                "source_kind": src.kind,
                "source_key": src.key,
                "kernel_version": src.version,
                "matrix": run.summary.matrix,
                "patches": run.patches,
            }),
        );
        Value::Object(c)
    }

    fn build(&self, run: &RecordedRun, c: &CellResult, checkout_id: &str, id: &str) -> Value {
        let status = match c.verdict {
            Verdict::Pass => "PASS",
            // A build that did not finish within its limit failed (as its outcome says).
            Verdict::Fail | Verdict::Timeout => "FAIL",
            Verdict::Skipped => "SKIP",
        };
        let compiler = compiler_version(&c.build_dir).unwrap_or_else(|| c.toolchain.clone());
        let mut command = format!(
            "kcross build {} --source {} --arch {}",
            run.summary.matrix_origin, run.summary.source.origin, c.arch
        );
        if !c.targets.is_empty() {
            command.push_str(&format!(" # targets: {}", c.targets.join(" ")));
        }
        let mut outputs = Vec::new();
        if let Some(img) = &c.image {
            outputs.push(resource(img));
        }
        let mut b = json!({
            "checkout_id": checkout_id,
            "id": id,
            "origin": self.origin,
            "start_time": run.summary.started_at,
            "duration": c.timings.total_s,
            "architecture": arch_name(&c.arch),
            "compiler": compiler,
            "config_name": c.config,
            "command": command,
            "status": status,
            "log_url": file_url(&c.dir.join("build.log")),
            "output_files": outputs,
            "misc": {
                "cell": c.cell,
                "toolchain": c.toolchain,
                "targets": c.targets,
                "errors": c.errors,
                "warnings": c.warnings,
                "failed_stage": c.failed_stage,
                "reason": c.reason,
            },
        });
        let tail = run.log_tails.get(&c.cell).map(String::as_str).unwrap_or("");
        if !tail.is_empty() {
            b["log_excerpt"] = json!(excerpt(tail));
        }
        b
    }

    fn test(&self, build_id: &str, path: &str, outcome: Outcome, detail: &str) -> Value {
        let status = match outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skipped => "SKIP",
            Outcome::Known => "DONE",
            Outcome::Error => "ERROR",
        };
        let mut t = json!({
            "build_id": build_id,
            "id": self.id(&["test", build_id, path]),
            "origin": self.origin,
            "path": path,
            "status": status,
        });
        if !detail.is_empty() {
            t["log_excerpt"] = json!(excerpt(detail));
        }
        t
    }
}

impl Export<RunReport> for Kcidb {
    fn extension(&self) -> &'static str {
        "kcidb.json"
    }

    fn render(&self, r: &RunReport) -> String {
        let mut s = serde_json::to_string_pretty(&self.document(&r.run)).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// KCIDB's `patchset_hash` of patches in order of application: sha256 over the
/// newline-terminated sha256 hex of each patch (`sha256sum *.patch | cut -c-64 | sha256sum`);
/// "" when there are none. The history keeps no patch content, so recorded runs (which
/// today never carry patches) export "" and a run with patches omits the field.
pub fn patchset_hash<T: AsRef<[u8]>>(patches: &[T]) -> String {
    let inner: Vec<String> = patches
        .iter()
        .map(|p| hex(&Sha256::digest(p.as_ref())))
        .collect();
    patchset_hash_of(&inner)
}

/// `patchset_hash` from the patches' own sha256 hex digests, in order of application.
pub fn patchset_hash_of<T: AsRef<str>>(sha256s: &[T]) -> String {
    if sha256s.is_empty() {
        return String::new();
    }
    let mut outer = Sha256::new();
    for h in sha256s {
        outer.update(h.as_ref().as_bytes());
        outer.update(b"\n");
    }
    hex(&outer.finalize())
}

/// A test's dotted path: a KUnit case's row (`kunit.<suite>.<case>`) as is, component by
/// component; any other runtime test as `kcross.boot.<test>`.
fn runtime_path(test: &str) -> String {
    match test.strip_prefix("kunit.") {
        Some(rest) => match rest.split_once('.') {
            Some((suite, case)) => format!("kunit.{}.{}", path_part(suite), path_part(case)),
            None => format!("kunit.{}", path_part(rest)),
        },
        None => format!("kcross.boot.{}", path_part(test)),
    }
}

/// `CONFIG_CC_VERSION_TEXT` of a build dir's `.config`: the compiler and its version, as
/// Kconfig recorded them (`aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0`).
fn compiler_version(build_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(build_dir.join(".config")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("CONFIG_CC_VERSION_TEXT="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// KCIDB's architecture: `[a-z0-9_]*`.
fn arch_name(arch: &str) -> String {
    arch.chars()
        .map(|ch| match ch.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '_',
        })
        .collect()
}

/// One dotted-path component: `[a-zA-Z0-9_-]+`.
fn path_part(s: &str) -> String {
    let p: String = s
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    if p.is_empty() {
        "_".into()
    } else {
        p
    }
}

/// At most `EXCERPT_BYTES` of the end of a text, cut at a char boundary.
fn excerpt(s: &str) -> String {
    let mut from = s.len().saturating_sub(EXCERPT_BYTES);
    while !s.is_char_boundary(from) {
        from += 1;
    }
    s[from..].replace('\0', "")
}

fn resource(p: &Path) -> Value {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().replace('/', "_"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "file".into());
    json!({ "name": name, "url": file_url(p) })
}

/// A `file://` URL of an absolute path, percent-encoding all but unreserved bytes and `/`.
fn file_url(p: &Path) -> String {
    let mut u = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            u.push(b as char);
        } else {
            u.push_str(&format!("%{b:02X}"));
        }
    }
    u
}

fn is_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_field_separated() {
        let k = Kcidb::default();
        assert_eq!(k.id(&["a", "b"]), k.id(&["a", "b"]));
        assert_ne!(k.id(&["ab", ""]), k.id(&["a", "b"]));
        assert!(k.id(&["x"]).starts_with("kcross:"));
        assert_eq!(k.id(&["x"]).len(), "kcross:".len() + 64);
    }

    /// The hash KCIDB's submitter guide computes with `sha256sum *.patch | cut -c-64 |
    /// sha256sum`, over two patch files of the suite's fixtures.
    #[test]
    fn patchset_hash_is_kcidbs_recipe() {
        use std::process::Command;
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/series/does-not-apply");
        let a = std::fs::read(dir.join("0001-mm-mprotect-count-huge-PUDs.patch")).unwrap();
        let b = std::fs::read(dir.join("0002-mm-huge_memory-written-against-another-tree.patch"))
            .unwrap();
        let inner = |data: &[u8]| {
            let d = tempfile::tempdir().unwrap();
            std::fs::write(d.path().join("p"), data).unwrap();
            let o = Command::new("sha256sum")
                .arg(d.path().join("p"))
                .output()
                .unwrap();
            String::from_utf8(o.stdout).unwrap()[..64].to_string()
        };
        let list = format!("{}\n{}\n", inner(&a), inner(&b));
        let expected = inner(list.as_bytes());
        assert_eq!(patchset_hash(&[&a, &b]), expected);
        // Order matters, and no patches is the empty string.
        assert_ne!(patchset_hash(&[&b, &a]), expected);
        assert_eq!(patchset_hash::<&[u8]>(&[]), "");
    }

    #[test]
    fn names_fit_the_schema_patterns() {
        assert_eq!(arch_name("powerpc64le"), "powerpc64le");
        assert_eq!(arch_name("x86-64"), "x86_64");
        assert_eq!(path_part("devdax-pud.mprotect"), "devdax-pud_mprotect");
        assert!(valid_origin("kcross_ci"));
        assert!(!valid_origin("Kcross"));
        assert!(!valid_origin(""));
        assert_eq!(file_url(Path::new("/a b/c")), "file:///a%20b/c");
    }
}
