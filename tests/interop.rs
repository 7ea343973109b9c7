//! Interop with the tools around kcross: the bash completion (driven through bash itself),
//! the man page (rendered by groff), and the KCIDB export of a real recorded run (validated
//! by PyPI's kcidb-io, installed by scripts/setup).

mod common;

use common::{kcross, out_dir, run};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// What bash's completion function offers for the command line `line` (completing its last
/// word), using the script `kcross completions bash` printed.
fn complete(script: &Path, line: &str) -> BTreeSet<String> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            r#"source "$1"
read -ra COMP_WORDS <<< "$2"
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
_kcross kcross "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("_")
        .arg(script)
        .arg(line)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Every arch name and alias of the built-in registry (toolchains/arch/*.toml).
fn registry_words() -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for e in std::fs::read_dir(common::repo().join("toolchains/arch")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue; // the arches' own kconfig fragments
        }
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        words.insert(v["name"].as_str().unwrap().to_string());
        for a in v
            .get("aliases")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            words.insert(a.as_str().unwrap().to_string());
        }
    }
    words
}

/// The registry's arch names and aliases that start with `prefix`.
fn registry_words_starting(prefix: &str) -> BTreeSet<String> {
    registry_words()
        .into_iter()
        .filter(|w| w.starts_with(prefix))
        .collect()
}

#[test]
fn bash_completes_subcommands_and_arch_names() {
    let d = tempfile::tempdir().unwrap();
    let (code, script, err) = run(kcross().args(["completions", "bash"]));
    assert_eq!(code, 0, "{err}");
    let p = d.path().join("kcross.bash");
    std::fs::write(&p, &script).unwrap();

    assert_eq!(complete(&p, "kcross bu"), set(&["build"]));
    assert_eq!(complete(&p, "kcross rep"), set(&["report"]));
    // Arch names and aliases, from the registry, by prefix.
    let ppc = registry_words_starting("ppc");
    for w in ["ppc64le", "ppc64el", "ppc64", "ppc32"] {
        assert!(ppc.contains(w), "the registry's ppc names: {ppc:?}");
    }
    assert_eq!(complete(&p, "kcross build --arch ppc"), ppc);
    let pow = registry_words_starting("pow");
    for w in ["powerpc64le", "powerpc", "powerpc64", "powerpc32"] {
        assert!(pow.contains(w), "{pow:?}");
    }
    assert_eq!(complete(&p, "kcross check --arch pow"), pow);
    assert_eq!(
        complete(&p, "kcross check --arch s390"),
        set(&["s390x", "s390"])
    );
    assert_eq!(complete(&p, "kcross build --arch "), registry_words());
    // Counter-case: no arch starts with zz.
    assert_eq!(complete(&p, "kcross build --arch zz"), BTreeSet::new());
    assert_eq!(complete(&p, "kcross zz"), BTreeSet::new());

    // Completing is not restricting: an arch the built-in registry lacks still reaches the
    // plan, which names the known ones (an arch of --toolchains DIR is accepted there).
    let (code, _, err) = run(kcross().args(["plan", "--arch", "zz"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown arch `zz`"), "{err}");
    let (code, out, err) = run(kcross().args(["plan", "--arch", "ppc64el"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("powerpc64le-gcc-pud"), "{out}");

    for shell in ["zsh", "fish"] {
        let (code, script, err) = run(kcross().args(["completions", shell]));
        assert_eq!(code, 0, "{err}");
        assert!(script.contains("ppc64le"), "{shell}: arch names offered");
    }
}

#[test]
fn the_man_page_renders_and_names_every_subcommand() {
    let d = tempfile::tempdir().unwrap();
    let (code, roff, err) = run(kcross().arg("man"));
    assert_eq!(code, 0, "{err}");
    let p = d.path().join("kcross.1");
    std::fs::write(&p, &roff).unwrap();
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-P", "-cbou"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains("NAME"), "{page}");
    assert!(page.contains("SUBCOMMANDS"), "{page}");
    let (_, help, _) = run(kcross().arg("--help"));
    let subs: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(subs.len() >= 12, "{help}");
    for s in subs {
        assert!(
            page.contains(&format!("kcross-{s}")),
            "{s} missing:\n{page}"
        );
    }
    // Counter-case: the check can fail; a name that is no subcommand is not on the page, and
    // the page is groff's rendering (section headings), not the raw roff.
    assert!(!page.contains("kcross-frobnicate"));
    assert!(!page.contains(".SH"), "rendered, not raw roff");
    assert!(roff.contains(".SH"), "the roff itself has sections");
}

/// A real run (one arm64 object of linux-source-6.12 with an injected warning, and one helper
/// check) recorded by a nightly, exported as KCIDB and validated by kcidb-io.
#[test]
fn kcidb_export_of_a_real_run_validates_with_kcidb_io() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let rel = "mm/mprotect.c";
    common::append_to_copy(
        &tree,
        &copy,
        rel,
        "\nint kcross_kcidb_warn(void);\nint kcross_kcidb_warn(void) { int unused; return 0; }\n",
    );
    let m = d.path().join("kcidb.toml");
    std::fs::write(
        &m,
        "name = \"kcidb-e2e\"\n\n[defaults]\nconfig = \"tinyconfig\"\n\n[[build]]\nname = \"mprotect\"\narch = \"arm64\"\ntargets = [\"mm/mprotect.o\"]\n\n[check]\nhelpers = [\"pud_modify\"]\n",
    )
    .unwrap();
    let out = out_dir("kcidb-e2e");
    let (code, stdout, stderr) = run(kcross()
        .arg("nightly")
        .arg(&m)
        .arg("--source")
        .arg(&copy)
        .arg("--out")
        .arg(&out)
        .arg("-j2"));
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let doc = d.path().join("out.json");
    let (code, _, err) = run(kcross()
        .args([
            "report",
            "--format",
            "kcidb",
            "--kcidb-origin",
            "kcross_test",
            "--out",
        ])
        .arg(&out)
        .arg("-o")
        .arg(&doc));
    assert_eq!(code, 0, "{err}");
    let (code, o, e) = common::kcidb_validate(&doc);
    assert_eq!(code, 0, "kcidb-io rejects the export:\n{o}\n{e}");

    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    assert_eq!(v["version"]["major"], 5);
    assert_eq!(v["version"]["minor"], 3);
    let checkouts = v["checkouts"].as_array().unwrap();
    assert_eq!(checkouts.len(), 1);
    assert_eq!(checkouts[0]["patchset_hash"], "", "no patches applied");
    let builds = v["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 1);
    let b = &builds[0];
    assert_eq!(b["checkout_id"], checkouts[0]["id"]);
    assert_eq!(b["architecture"], "arm64");
    assert_eq!(b["status"], "PASS");
    let compiler = b["compiler"].as_str().unwrap();
    assert!(
        compiler.starts_with("aarch64-linux-gnu-gcc") && compiler.contains("12."),
        "compiler with its version: {compiler}"
    );
    assert!(b["id"].as_str().unwrap().starts_with("kcross_test:"));
    let tests = v["tests"].as_array().unwrap();
    let check = tests
        .iter()
        .find(|t| t["path"] == "kcross.check.pud_modify")
        .expect("the helper verdict as a test");
    assert_eq!(check["status"], "PASS");
    assert_eq!(check["build_id"], b["id"]);
    // The injected warning is an issue, with an incident on the build.
    let issues = v["issues"].as_array().unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i["comment"].as_str().unwrap().contains("mm/mprotect.c")),
        "{issues:#?}"
    );
    let incidents = v["incidents"].as_array().unwrap();
    assert!(!incidents.is_empty());
    for inc in incidents {
        assert_eq!(inc["build_id"], b["id"]);
        assert!(issues.iter().any(|i| i["id"] == inc["issue_id"]));
    }

    // Deterministic: the same run exported again is the same document.
    let doc2 = d.path().join("again.json");
    run(kcross()
        .args([
            "report",
            "--format",
            "kcidb",
            "--kcidb-origin",
            "kcross_test",
            "--out",
        ])
        .arg(&out)
        .arg("-o")
        .arg(&doc2));
    assert_eq!(std::fs::read(&doc).unwrap(), std::fs::read(&doc2).unwrap());

    // Counter-case: the same document with a build lacking its origin fails the validator.
    let mut broken = v.clone();
    broken["builds"][0]
        .as_object_mut()
        .unwrap()
        .remove("origin");
    let bad = d.path().join("broken.json");
    std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
    let (code, _, e) = common::kcidb_validate(&bad);
    assert_ne!(code, 0, "kcidb-io must reject a build without origin");
    assert!(e.contains("origin"), "{e}");

    // A bad origin is bad input.
    let (code, _, err) = run(kcross()
        .args([
            "report",
            "--format",
            "kcidb",
            "--kcidb-origin",
            "Not-Valid",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--kcidb-origin"), "{err}");
}

/// A real series run (tests/fixtures/series/pud-test.mbox on its objects matrix, x86_64 and
/// powerpc64le) exported with `report --from`: kcidb-io validates it, the checkout's
/// `patchset_hash` is KCIDB's recipe over the four patch messages (`sha256sum *.patch | cut
/// -c-64 | sha256sum`, computed here by sha256sum itself), and each step is a test per cell:
/// patch 1 fails on powerpc64le only, patch 3 (an unused variable) on both.
#[test]
fn kcidb_export_of_a_real_series_run_validates_with_kcidb_io() {
    let fx = common::repo().join("tests/fixtures/series");
    let mbox = fx.join("pud-test.mbox");
    let out = out_dir("kcidb-series");
    let (code, stdout, stderr) = run(kcross()
        .arg("series")
        .arg(&mbox)
        .arg(fx.join("matrix.toml"))
        .arg("--out")
        .arg(&out)
        .args(["-j", "2"]));
    assert_eq!(code, 1, "the series has new errors: {stdout}\n{stderr}");
    let d = tempfile::tempdir().unwrap();
    let doc = d.path().join("series.kcidb.json");
    let (code, _, err) = run(kcross()
        .args(["report", "--format", "kcidb", "--from"])
        .arg(&out)
        .arg("-o")
        .arg(&doc));
    assert_eq!(code, 0, "{err}");
    let (code, o, e) = common::kcidb_validate(&doc);
    assert_eq!(code, 0, "kcidb-io rejects the export:\n{o}\n{e}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();

    // The patches as format-patch files: each message of the mbox from its `From ` line,
    // the cover letter (0/4) left out.
    let text = std::fs::read_to_string(&mbox).unwrap();
    let starts: Vec<usize> = text
        .match_indices("From 0000000000000000000000000000000000000000 ")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text[..i].ends_with("\n\n"))
        .collect();
    assert_eq!(starts.len(), 5);
    for (k, w) in starts
        .windows(2)
        .chain([&[starts[4], text.len()][..]])
        .enumerate()
    {
        if k > 0 {
            std::fs::write(d.path().join(format!("{k}.patch")), &text[w[0]..w[1]]).unwrap();
        }
    }
    let sha = |args: &[String]| {
        let o = Command::new("sha256sum")
            .current_dir(d.path())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let files: Vec<String> = (1..=4).map(|k| format!("{k}.patch")).collect();
    let list: String = sha(&files)
        .lines()
        .map(|l| format!("{}\n", &l[..64]))
        .collect();
    std::fs::write(d.path().join("list"), list).unwrap();
    let expected = sha(&["list".to_string()])[..64].to_string();
    let c = &v["checkouts"][0];
    assert_eq!(c["patchset_hash"], expected.as_str(), "{c:#}");
    assert!(
        c.get("message_id").is_none(),
        "the fixture's messages have no Message-ID"
    );

    let builds = v["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2);
    let status = |arch: &str, path: &str| {
        let b = builds
            .iter()
            .find(|b| b["architecture"] == arch)
            .unwrap_or_else(|| panic!("no {arch} build"));
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["build_id"] == b["id"] && t["path"] == path)
            .map(|t| t["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {path} on {arch}"))
    };
    assert_eq!(status("powerpc64le", "kcross.series.1-of-4"), "FAIL");
    assert_eq!(status("x86_64", "kcross.series.1-of-4"), "PASS");
    assert_eq!(status("powerpc64le", "kcross.series.2-of-4"), "PASS");
    for arch in ["x86_64", "powerpc64le"] {
        assert_eq!(status(arch, "kcross.series.3-of-4"), "FAIL", "{arch}");
        assert_eq!(status(arch, "kcross.series.4-of-4"), "PASS", "{arch}");
    }
}
