//! `kcross boot` reuses the latest build only while it is what the matrix asks: on real
//! runs of a cheap cell (arm64 tinyconfig, one object: no image, so nothing boots and the
//! runtime stage skips it), a `check` in between does not hide the build (each stage has
//! its own `latest-*` link), an unchanged matrix boots the build as it is, and a changed
//! fragment makes `boot` build the new configuration first and boot that. The decision
//! function is then asked directly about the real summaries.

mod common;

use common::{kcross, out_dir, run};
use kcross::build::reuse::{staleness, Stale};
use kcross::build::{load_summary, RunSummary};
use std::path::{Path, PathBuf};

const MATRIX: &str = "name = \"reuse\"\n[[build]]\nname = \"obj\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\nfragments = [\"frag.config\"]\ntargets = [\"mm/mprotect.o\"]\n";
const CELL: &str = "arm64-gcc-obj";

fn runs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn link(out: &Path, name: &str) -> PathBuf {
    std::fs::canonicalize(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn plan_of(m: &Path) -> kcross::plan::Plan {
    let reg = kcross::toolchain::Registry::load(&[]).unwrap();
    let matrix = kcross::matrix::load(Some(m), &reg).unwrap();
    kcross::plan::expand(&matrix, &reg, &Default::default()).unwrap()
}

fn boot(m: &Path, out: &Path) -> String {
    let (code, stdout, stderr) = run(kcross()
        .arg("boot")
        .arg(m)
        .args(["--test", "boot", "--out"])
        .arg(out));
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(
        stdout.contains("the build produced no kernel image"),
        "the cell is skipped by the runtime stage: {stdout}"
    );
    stderr
}

#[test]
fn boot_reuses_the_build_only_while_the_matrix_asks_for_it() {
    // A fixed place for the matrix: a fragment's path is part of the config key, so later
    // runs of this test find their build dirs configured.
    let d = out_dir("reuse-matrix");
    let m = d.join("m.toml");
    std::fs::write(&m, MATRIX).unwrap();
    let frag = d.join("frag.config");
    std::fs::write(&frag, "CONFIG_PRINTK=y\n").unwrap();
    let out = out_dir("reuse");

    // build, then check: `latest` follows the check, `latest-build` stays at the build.
    let (code, _, stderr) = run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let built = link(&out, "latest-build");
    assert_eq!(link(&out, "latest"), built);
    let (code, stdout, stderr) = run(kcross()
        .arg("check")
        .arg(&m)
        .args(["--helper", "pud_modify", "--out"])
        .arg(&out));
    assert!(code == 0 || code == 1, "{stderr}\n{stdout}");
    let checked = link(&out, "latest-check");
    assert_ne!(checked, built);
    assert_eq!(link(&out, "latest"), checked);
    assert_eq!(link(&out, "latest-build"), built);
    assert_eq!(runs(&out).len(), 2);

    // Unchanged: boot boots that build, builds nothing.
    let stderr = boot(&m, &out);
    assert!(
        stderr.contains(&format!(
            "kcross: booting the build in {} (same source and configuration)",
            out.join("runs").join(built.file_name().unwrap()).display()
        )),
        "{stderr}"
    );
    assert_eq!(runs(&out).len(), 2, "no new run: {stderr}");
    assert!(built.join("runtime.json").is_file());
    assert_eq!(link(&out, "latest-boot"), built);
    assert_eq!(link(&out, "latest"), built);
    let first: RunSummary = load_summary(&built.join("summary.json")).unwrap();
    let old_key = first.cells[0].config_key.clone();
    assert_eq!(old_key, plan_of(&m).cells[0].config_key());

    // A fragment changed: boot builds the new configuration, in a new build dir, and boots
    // that build's results.
    std::fs::write(&frag, "CONFIG_PRINTK=y\nCONFIG_BUG=y\n").unwrap();
    let new_key = plan_of(&m).cells[0].config_key();
    assert_ne!(new_key, old_key);
    let stderr = boot(&m, &out);
    assert!(
        stderr.contains(&format!(
            "kcross: building first: the build in {} is stale: {CELL}: the configuration changed (config key {old_key}, now {new_key}",
            first.out_dir.display()
        )),
        "{stderr}"
    );
    assert_eq!(runs(&out).len(), 3, "a new build: {stderr}");
    let rebuilt = link(&out, "latest-build");
    assert_ne!(rebuilt, built);
    assert_eq!(link(&out, "latest-boot"), rebuilt);
    assert!(rebuilt.join("runtime.json").is_file());
    let second = load_summary(&rebuilt.join("summary.json")).unwrap();
    let c = &second.cells[0];
    assert_eq!(c.config_key, new_key);
    assert_ne!(c.build_dir, first.cells[0].build_dir);
    assert!(c.build_dir.to_string_lossy().ends_with(&new_key));
    let config = std::fs::read_to_string(c.dir.join("config")).unwrap();
    assert!(config.lines().any(|l| l == "CONFIG_BUG=y"), "{config}");
    let runtime: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rebuilt.join("runtime.json")).unwrap())
            .unwrap();
    assert_eq!(
        Path::new(runtime["out_dir"].as_str().unwrap()),
        second.out_dir
    );

    // The decision itself, on the real summaries: the first build stands for the first
    // fragment and not for the second; the second for the second.
    let plan = plan_of(&m);
    assert_eq!(staleness(&second, &plan, &second.source), vec![]);
    assert_eq!(
        staleness(&first, &plan, &first.source),
        vec![Stale::ConfigChanged {
            cell: CELL.into(),
            built: old_key.clone(),
            now: new_key.clone(),
        }]
    );
    std::fs::write(&frag, "CONFIG_PRINTK=y\n").unwrap();
    assert_eq!(staleness(&first, &plan_of(&m), &first.source), vec![]);
    // The same content from another source (the unpacked tree, as a directory) is not it.
    let as_dir = kcross::source::prepare(first.source.root.to_str().unwrap()).unwrap();
    assert_ne!(as_dir.key, first.source.key);
    assert!(matches!(
        staleness(&first, &plan_of(&m), &as_dir)[..],
        [Stale::SourceChanged { .. }]
    ));
    // A build that recorded an image which is gone; one from before config keys.
    let mut gone = first.clone();
    let image = d.join("Image");
    gone.cells[0].image = Some(image.clone());
    assert_eq!(
        staleness(&gone, &plan_of(&m), &first.source),
        vec![Stale::ImageGone {
            cell: CELL.into(),
            image: image.clone()
        }]
    );
    std::fs::write(&image, b"").unwrap();
    assert_eq!(staleness(&gone, &plan_of(&m), &first.source), vec![]);
    let mut older = first.clone();
    older.cells[0].config_key.clear();
    assert_eq!(
        staleness(&older, &plan_of(&m), &first.source),
        vec![Stale::UnknownConfig { cell: CELL.into() }]
    );
}
