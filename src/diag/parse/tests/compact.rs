//! Folding repeats as the log streams changes nothing in the result, and bounds the entries.

use super::*;
use crate::diag::parse::compact::State;

/// Parse with folding from `first` entries on; the diagnostics and the entries held at the end.
fn parse_folding(log: &str, first: usize) -> (Vec<Diagnostic>, usize) {
    let c = ctx("/tmp/kcfix/linux-src", "/tmp/kcfix/build");
    let mut p = Parser::new(&c);
    p.compact = State::with_first(first);
    for l in log.lines() {
        p.line(l);
    }
    let held = p.held();
    (p.finish(), held)
}

fn fixture_logs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, crate::util::read_lossy(&p).unwrap())
        })
        .collect();
    logs.sort();
    assert!(logs.len() >= 20, "the fixture logs: {}", logs.len());
    logs
}

#[test]
fn folding_at_every_push_gives_what_the_whole_log_gives_on_every_fixture() {
    for (name, log) in fixture_logs() {
        for text in [log.clone(), log.repeat(3)] {
            let want = parse_folding(&text, usize::MAX).0;
            let got = parse_folding(&text, 1).0;
            assert_eq!(got, want, "{name}");
            assert_eq!(
                want,
                parse_log(&text, &ctx("/tmp/kcfix/linux-src", "/tmp/kcfix/build"))
            );
        }
    }
}

#[test]
fn a_log_repeated_500_times_holds_about_what_one_copy_holds() {
    let log = include_str!("../../../../tests/fixtures/logs/gcc12-x86_64.log");
    let (once, one) = parse_folding(log, usize::MAX);
    assert!(one >= 5, "{one} entries");
    let big = log.repeat(500);
    let (folded, held) = parse_folding(&big, 64);
    // The counter-case: without folding, every copy's entries are held to the end.
    let (unfolded, all) = parse_folding(&big, usize::MAX);
    assert!(all >= 500 * one, "{all} entries unfolded, {one} per copy");
    assert!(held <= 2 * one + 64, "{held} entries held, {one} per copy");
    assert_eq!(folded, unfolded);
    assert_eq!(folded.len(), once.len());
}
