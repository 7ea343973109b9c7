//! What each fuzz target does with one input: the library's own parser entry points, called
//! as kcross calls them. Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! stable regression test (`tests/fuzz_regressions.rs`), which feeds every kept input under
//! `tests/fixtures/fuzz/<target>/` through the same function.
//!
//! Nothing here touches the network or writes a file; the matrix and series targets look
//! for their relative files in a directory that does not exist.

#![allow(dead_code)]

use kcross::diag::{self, ParseContext};
use kcross::kconfig::{self, Base, ConfigSpec, Fragment};
use kcross::matrix;
use kcross::runtime::{judge, qemu::BootRun};
use kcross::series::{apply, mbox, policy, SeriesKind};
use kcross::toolchain::Registry;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The targets, by name (the regression test walks these directories).
pub const TARGETS: &[&str] = &[
    "matrix_toml",
    "matrix_json",
    "matrix_tuxsuite",
    "diag",
    "series",
    "ktap",
    "kconfig",
];

const NOWHERE: &str = "/nonexistent/kcross-fuzz";

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry::load(&[]).expect("the built-in registry loads"))
}

/// A matrix file's text (`read_to_string`: UTF-8 only), by the extension `origin` names.
fn matrix(origin: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tree = |_: Option<&str>| -> kcross::Result<PathBuf> {
        Err(kcross::Error::Usage("fuzzing: no kernel tree".into()))
    };
    let _ = matrix::load_text(origin, text, Path::new(NOWHERE), registry(), &tree);
}

pub fn matrix_toml(data: &[u8]) {
    matrix("fuzz.toml", data)
}

pub fn matrix_json(data: &[u8]) {
    matrix("fuzz.json", data)
}

pub fn matrix_tuxsuite(data: &[u8]) {
    matrix("fuzz.yaml", data)
}

/// A build log: every diagnostic parsed, fingerprinted and diffed against itself.
pub fn diag(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ctx = ParseContext {
        source_root: PathBuf::from("/src/linux"),
        build_root: PathBuf::from("/build/cell"),
        cell: "x86_64-gcc-tinyconfig".into(),
    };
    let ds = diag::parse_log(&text, &ctx);
    let counted = diag::Counted::new(&ds);
    let d = diag::diff(&counted, &diag::Counted::default());
    assert_eq!(d.new.len(), 0);
    for x in &ds {
        let _ = x.location();
    }
}

/// An mbox (read lossily, as `series::load` reads it): messages, the series, the policy
/// check, and the explanation of a failed `git apply` for every file it touches.
pub fn series(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let msgs: Vec<_> = mbox::split_mbox(&text)
        .into_iter()
        .map(|m| (m, "fuzz.mbox".to_string()))
        .collect();
    let Ok(series) = mbox::from_messages("fuzz.mbox", SeriesKind::Mbox, msgs) else {
        return;
    };
    let _ = policy::check(&series, Path::new(NOWHERE));
    for p in &series.patches {
        for (i, f) in p.files.iter().enumerate() {
            let stderr = format!(
                "error: patch failed: {f}:{}\nerror: {f}: patch does not apply\n",
                i + 1
            );
            let _ = apply::explain_failure(p, &stderr);
        }
    }
}

/// A guest console: the first byte picks the test (a KUnit one reads the kernel's KTAP
/// too), the rest is the console as QEMU captured it.
pub fn ktap(data: &[u8]) {
    let (test, console) = match data.split_first() {
        Some((b, rest)) if b % 2 == 1 => ("kunit", rest),
        Some((_, rest)) => ("boot", rest),
        None => ("boot", data),
    };
    let run = BootRun {
        console: String::from_utf8_lossy(console).into_owned(),
        qemu_stderr: String::new(),
        exit_code: Some(0),
        timed_out: false,
        powered_off: true,
        finished: true,
        boot_s: None,
        test_s: None,
        total_s: 1.0,
        peak_rss_kib: None,
        command: Vec::new(),
    };
    let _ = judge(
        "x86_64-gcc-tinyconfig",
        "x86_64",
        test,
        Path::new("bzImage"),
        Path::new("console.log"),
        Duration::from_secs(60),
        run,
    );
}

/// A fragment, a final .config and a Kconfig file, separated by NUL bytes: the fragment
/// parsed, then verified against the .config with the Kconfig explaining what dropped.
pub fn kconfig(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let (frag, config, kc) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = kconfig::parse_dotconfig(config);
    let Ok(f) = Fragment::parse("fuzz.config", frag) else {
        return;
    };
    let spec = ConfigSpec {
        label: "fuzz".into(),
        base: Base::Target("tinyconfig".into()),
        fragments: vec![f],
    };
    for d in kconfig::verify_texts(&spec, config, &[("Kconfig", kc)]) {
        let _ = d.message();
    }
}
