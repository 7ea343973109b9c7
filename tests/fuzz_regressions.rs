//! Every input the fuzzers found (tests/fixtures/fuzz/<target>/), fed on stable Rust to the
//! same harness the cargo-fuzz targets run (fuzz/fuzz_targets/harness.rs): each returns,
//! with its data or a recorded problem, instead of panicking, allocating without bound or
//! hanging. See RELIABILITY.md, Fuzzing.

#[path = "../fuzz/fuzz_targets/harness.rs"]
mod harness;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .flatten()
        .filter(|e| e.file_name() != "README.md")
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_kept_fuzz_input_returns() {
    let mut n = 0;
    for t in harness::TARGETS {
        let run: fn(&[u8]) = match *t {
            "matrix_toml" => harness::matrix_toml,
            "matrix_json" => harness::matrix_json,
            "matrix_tuxsuite" => harness::matrix_tuxsuite,
            "diag" => harness::diag,
            "series" => harness::series,
            "ktap" => harness::ktap,
            "kconfig" => harness::kconfig,
            other => panic!("no harness for {other}"),
        };
        for (name, data) in inputs(t) {
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "{t}/{name} panicked");
            n += 1;
        }
    }
    // Every fixture dir is a target's: a misnamed one would be skipped silently.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            name == "README.md" || harness::TARGETS.contains(&name.as_str()),
            "tests/fixtures/fuzz/{name} is no fuzz target's"
        );
    }
    assert!(n > 0, "no kept fuzz input");
}

/// tests/fixtures/fuzz/ktap/huge-plan: `1..4294967295` made the parser allocate a `missing`
/// result per announced test (hundreds of GB). Now at most `MAX_MISSING` per console are
/// listed, the problem says how many more were announced; a small plan still lists each.
#[test]
fn a_plan_of_four_billion_tests_is_capped_and_a_small_plan_lists_every_missing_test() {
    use kcross::runtime::ktap::{self, KtapStatus, MAX_MISSING};
    let huge = ktap::parse("KTAP version 1\n1..4294967295\nok 1 first\n");
    assert_eq!(huge.plan, Some(u32::MAX));
    assert_eq!(huge.results.len(), 1 + MAX_MISSING as usize);
    assert!(
        huge.problems
            .iter()
            .any(|p| p.contains("4294966294 of them not listed")),
        "{:?}",
        huge.problems
    );
    // Nested plans share the one budget.
    let nested = ktap::parse(
        "KTAP version 1\n1..4000000000\n    KTAP version 1\n    1..4000000000\n    ok 1 a\nok 1 s\n",
    );
    let missing = |rs: &[ktap::KtapResult]| {
        rs.iter()
            .map(|r| {
                usize::from(r.status == KtapStatus::Missing)
                    + r.subtests
                        .iter()
                        .filter(|s| s.status == KtapStatus::Missing)
                        .count()
            })
            .sum::<usize>()
    };
    assert_eq!(missing(&nested.results), MAX_MISSING as usize);

    let small = ktap::parse("KTAP version 1\n1..5\nok 1 first\n");
    assert_eq!(small.results.len(), 5);
    assert!(small.results[1..]
        .iter()
        .all(|r| r.status == KtapStatus::Missing));
    assert!(
        !small.problems.iter().any(|p| p.contains("not listed")),
        "{:?}",
        small.problems
    );
}
