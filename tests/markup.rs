//! Text from a compiler, a patch and a config is markup-free in every markup output: a
//! `<script>` in gcc's own message, in a patch subject and in a config value comes out of
//! JUnit and HTML as the same text, never as an element. Each document is parsed with a real
//! parser: what it shows as text must hold the hostile string verbatim (so the text did reach
//! the output), and no `script` element may exist.

mod common;

use common::{kcross, out_dir, repo, run};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixture(p: &str) -> PathBuf {
    repo().join("tests/fixtures/markup").join(p)
}

/// An XML document's element names, and its text and attribute values joined (unescaped).
fn xml(doc: &str) -> (BTreeSet<String>, String) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(doc);
    let (mut names, mut text) = (BTreeSet::new(), String::new());
    loop {
        match r
            .read_event()
            .unwrap_or_else(|e| panic!("not XML: {e}\n{doc}"))
        {
            Event::Start(e) | Event::Empty(e) => {
                names.insert(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                for a in e.attributes() {
                    text.push_str(&a.unwrap().unescape_value().unwrap());
                    text.push('\n');
                }
            }
            Event::Text(t) => text.push_str(&t.unescape().unwrap()),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::Eof => break,
            _ => {}
        }
    }
    (names, text)
}

/// An HTML document's element names and text, as a browser's parser sees them.
fn html(doc: &str) -> (BTreeSet<String>, String) {
    use html5ever::tendril::TendrilSink;
    use markup5ever_rcdom::{Handle, NodeData, RcDom};
    fn walk(h: &Handle, names: &mut BTreeSet<String>, text: &mut String) {
        match &h.data {
            NodeData::Element { name, attrs, .. } => {
                names.insert(name.local.to_string());
                for a in attrs.borrow().iter() {
                    text.push_str(&a.value);
                    text.push('\n');
                }
            }
            NodeData::Text { contents } => text.push_str(&contents.borrow()),
            _ => {}
        }
        for c in h.children.borrow().iter() {
            walk(c, names, text);
        }
    }
    let dom = html5ever::parse_document(RcDom::default(), Default::default())
        .from_utf8()
        .read_from(&mut doc.as_bytes())
        .unwrap();
    let (mut names, mut text) = (BTreeSet::new(), String::new());
    walk(&dom.document, &mut names, &mut text);
    (names, text)
}

const GCC: &str = "<script>alert(1)</script>";
const SUBJECT: &str = "[PATCH] mm: <script>alert(2)</script> & friends";
/// The subject without its `[PATCH]` tag, as the reports name a step.
const SHOWN: &str = "mm: <script>alert(2)</script> & friends";
const CONFIG: &str = "<script>alert(3)</script>";

/// A real series gate: the patch's `#error` is gcc's message, its subject the patch's name.
#[test]
fn a_script_in_a_patch_subject_and_in_gccs_message_is_text_in_junit() {
    let out = out_dir("markup-series");
    let (code, stdout, stderr) = run(kcross()
        .arg("series")
        .arg(fixture("script.mbox"))
        .arg(fixture("matrix.toml"))
        .arg("--out")
        .arg(&out)
        .args(["-j", "2"]));
    assert_eq!(code, 1, "the patch breaks the build:\n{stdout}\n{stderr}");
    // The same strings, raw, in the JSON result (not markup): the text reached the outputs.
    let json = std::fs::read_to_string(out.join("latest-series/series.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["series"]["patches"][0]["raw_subject"], SUBJECT, "{json}");
    assert!(json.contains(&format!("#error \\\"{GCC}\\\"")), "{json}");

    let junit = std::fs::read_to_string(out.join("latest/junit.xml")).unwrap();
    let (names, text) = xml(&junit);
    assert!(
        names.contains("testcase") && names.contains("failure"),
        "{names:?}"
    );
    assert!(!names.contains("script"), "{junit}");
    assert!(text.contains(SHOWN), "the subject as text:\n{junit}");
    assert!(text.contains(GCC), "gcc's message as text:\n{junit}");
    assert!(!junit.contains("<script>"), "{junit}");
}

/// A nightly whose fragment asks for an int symbol with a markup value: the kconfig check
/// quotes the value, in the HTML report and in JUnit.
#[test]
fn a_script_in_a_config_value_is_text_in_html_and_junit() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m.toml");
    let frags = |n: &str| {
        repo()
            .join("matrices/pud-helpers")
            .join(n)
            .display()
            .to_string()
    };
    std::fs::write(
        &m,
        format!(
            "name = \"markup-config\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"cfg\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"{}\", \"{}\"]\ntargets = [\"mm/mprotect.o\"]\n",
            frags("boot.config"),
            fixture("hostile.config").display()
        ),
    )
    .unwrap();
    let out = out_dir("markup-config");
    let (code, stdout, stderr) = run(kcross().arg("nightly").arg(&m).arg("--out").arg(&out));
    assert_eq!(
        code, 1,
        "the dropped value fails the cell:\n{stdout}\n{stderr}"
    );
    let run_dir = std::fs::canonicalize(out.join("latest")).unwrap();
    let wanted = format!("CONFIG_LOG_BUF_SHIFT=\"{CONFIG}\"");
    let json = std::fs::read_to_string(run_dir.join("summary.json")).unwrap();
    assert!(json.contains(&wanted.replace('"', "\\\"")), "{json}");

    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).unwrap();
    let (names, text) = xml(&junit);
    assert!(
        names.contains("failure") && !names.contains("script"),
        "{junit}"
    );
    assert!(text.contains(&wanted), "the value as text:\n{junit}");
    assert!(!junit.contains("<script>"), "{junit}");

    let page = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    let (names, text) = html(&page);
    assert!(
        names.contains("table") && !names.contains("script"),
        "{page}"
    );
    assert!(text.contains(&wanted), "the value as text:\n{page}");
}
