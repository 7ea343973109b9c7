//! History reports (issue 7): the HTML is valid HTML5 with its charts, hostile text comes out
//! escaped, and `kcross report` renders a chosen run. The runs are constructed (tests/history_support).

mod history_support;

use history_support::*;
use kcross::diag::fingerprint;
use kcross::history::{History, PatchRow};
use kcross::report::html::Html;
use kcross::report::Export;
use kcross::report::Format;
use std::path::PathBuf;

#[test]
fn the_html_is_valid_html5_with_svg_charts() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    for n in 0..5 {
        h.record(&good_night(d.path(), &format!("night {n}"), n, n as f64))
            .unwrap();
    }
    let id = h.record(&broken_night(d.path(), "night 5")).unwrap();
    let html = html_of(&h, id);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // (The checker does catch errors.)
    assert!(!parse_html("<!DOCTYPE html><p>a</div>\u{1}")
        .errors
        .is_empty());
    let dom = parse_html(&html);
    assert!(
        dom.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        dom.errors
    );
    let mut els = Vec::new();
    elements(&dom.document, &mut els);
    let svgs: Vec<_> = els
        .iter()
        .filter(|(ns, n, _)| ns == "http://www.w3.org/2000/svg" && n == "svg")
        .collect();
    // Two trend charts plus a build-time chart per cell.
    assert_eq!(svgs.len(), 2 + 4, "{}", svgs.len());
    let polylines = els.iter().filter(|(_, n, _)| n == "polyline").count();
    assert!(polylines >= 4, "trend lines drawn");
    // No network: nothing refers to another resource.
    for (_, n, attrs) in &els {
        assert!(
            !matches!(n.as_str(), "script" | "link" | "img" | "iframe"),
            "{n}"
        );
        for (k, v) in attrs {
            if k == "href" {
                assert!(v.starts_with('#'), "{v}");
            }
            assert!(k != "src", "{n} {k}={v}");
        }
    }
    // The grid is coloured by verdict and flags the regressed cell.
    assert!(html.contains("<td class=\"v-fail regressed\">"));
    assert_eq!(html.matches("<td class=\"v-pass\">").count(), 3);
}

#[test]
fn hostile_text_comes_out_escaped() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    h.record(&good_night(d.path(), "n1", 0, 0.0)).unwrap();
    let mut b = broken_night(d.path(), "n2 <script>alert(0)</script>");
    let evil = "<script>alert(1)</script>";
    let c = &mut b.summary.cells[0];
    c.diagnostics[2].message = format!("expected ';' before {evil}");
    c.diagnostics[2].source_line =
        Some("</code></td></tr></table><script>alert(5)</script>".into());
    c.diagnostics[2].notes = vec!["<img src=x onerror=alert(6)>".into()];
    c.diagnostics[2].fingerprint = fingerprint(&c.diagnostics[2]);
    c.reason = Some(format!("mm/mprotect.c:421: {evil}"));
    c.config = "pud\"><svg onload=alert(4)>".into();
    b.log_tails.insert(
        c.cell.clone(),
        "</pre><script>alert(3)</script>\u{1b}[31mred\u{0}\n".into(),
    );
    b.patches.push(PatchRow {
        id: "0001".into(),
        subject: "[PATCH] mm: <script>alert(2)</script> & friends".into(),
        sha256: None,
        message_id: None,
    });
    b.check[0].evidence = "<iframe src=//evil>".into();
    b.runtime[0].detail = "'\"><script>alert(7)</script>".into();
    let id = h.record(&b).unwrap();
    let rep = h.report(id, 25.0, 14).unwrap();
    let html = Html.render(&rep);
    let lower = html.to_ascii_lowercase();
    for bad in ["<script", "<img", "<iframe", "<svg onload"] {
        assert!(!lower.contains(bad), "{bad} came through");
    }
    let dom = parse_html(&html);
    assert!(dom.errors.is_empty(), "{:?}", dom.errors);
    let mut els = Vec::new();
    elements(&dom.document, &mut els);
    for (_, n, attrs) in &els {
        assert!(
            !matches!(n.as_str(), "script" | "img" | "iframe"),
            "a <{n}> element got in"
        );
        for (k, _) in attrs {
            assert!(!k.starts_with("on"), "<{n} {k}>");
        }
    }
    // ... and it reads as the text it was.
    let mut text = String::new();
    text_content(&dom.document, &mut text);
    for shown in [
        "expected ';' before <script>alert(1)</script>",
        "[PATCH] mm: <script>alert(2)</script> & friends",
        "</pre><script>alert(3)</script>\u{241b}[31mred\u{2400}",
        "<img src=x onerror=alert(6)>",
        "'\"><script>alert(7)</script>",
    ] {
        assert!(text.contains(shown), "missing text {shown:?}");
    }
    // Markdown: hostile text only ever inside code spans.
    let md = Format::Markdown.render(&rep);
    for line in md.lines() {
        let mut inside = false;
        let mut ticks = 0;
        let chars: Vec<char> = line.chars().collect();
        for (i, ch) in chars.iter().enumerate() {
            if *ch == '`' {
                ticks += 1;
                continue;
            }
            if ticks > 0 {
                inside = !inside;
                ticks = 0;
            }
            if *ch == '<' {
                assert!(inside, "a bare `<` at {i} in {line:?}");
            }
        }
    }
}

#[test]
fn report_renders_the_latest_or_a_chosen_run_to_a_file_or_dir() {
    let d = tempfile::tempdir().unwrap();
    let hist = d.path().join("h.sqlite");
    let missing =
        kcross::cli::report::report(&hist, None, None, Format::Html, None, &opts()).unwrap_err();
    assert!(
        missing.to_string().contains("no such history file"),
        "{missing}"
    );
    assert!(!hist.exists(), "reading does not create a history");
    let mut h = History::open(&hist).unwrap();
    h.record(&good_night(d.path(), "n1", 0, 0.0)).unwrap();
    let id2 = h.record(&broken_night(d.path(), "n2")).unwrap();
    let out = d.path().join("reports");
    std::fs::create_dir_all(&out).unwrap();
    assert_eq!(
        kcross::cli::report::report(&hist, None, None, Format::Html, Some(&out), &opts()).unwrap(),
        0
    );
    let latest = std::fs::read_to_string(out.join(format!("report-{id2}.html"))).unwrap();
    assert_eq!(latest, html_of(&h, id2));
    let f = d.path().join("one.md");
    kcross::cli::report::report(&hist, Some(1), None, Format::Markdown, Some(&f), &opts()).unwrap();
    assert!(std::fs::read_to_string(&f)
        .unwrap()
        .starts_with("kcross nightly pud-helpers run #1: OK"));
    let e = kcross::cli::report::report(&hist, None, Some("nope"), Format::Json, None, &opts())
        .unwrap_err();
    assert!(
        e.to_string().contains("no recorded run of matrix nope"),
        "{e}"
    );
}

/// Eight constructed nights (gcc and clang, a patch on the last) render as well-formed HTML.
/// (The docs' report and screenshot are of real recorded nightlies, docs/nightly.md.)
#[test]
fn eight_constructed_nights_render_as_well_formed_html() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("history.sqlite")).unwrap();
    let out = PathBuf::from("kcross-out/runs");
    let mut last = 0;
    for n in 0..8u32 {
        let night_out = out.join(format!("202611{:02}-020000-pud-helpers", 17 + n));
        let started = format!("2026-11-{:02}T02:00:00+01:00", 17 + n);
        let mut run = sample_night(&night_out, &started, n);
        if n == 7 {
            run.patches.push(PatchRow {
                id: "f6a7d3a1".into(),
                subject: "mm/mprotect: use pudp_invalidate_ad() for dax puds".into(),
                sha256: None,
                message_id: None,
            });
        }
        last = h.record(&run).unwrap();
    }
    let rep = h.report(last, 25.0, 14).unwrap();
    let html = Html.render(&rep);
    assert!(parse_html(&html).errors.is_empty());
    assert!(Format::Markdown.render(&rep).contains("pud-helpers"));
}
