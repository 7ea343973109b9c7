//! The one jobserver bounds the whole run: four cells building at once never have more
//! compiler jobs than `-j` allows, sampled from /proc during real builds. Each run is judged
//! against its counter-part: `-j1` must never show two compilers, and `-j3` must show more
//! than one (so the sampler does see them at once when the bound lets it).

mod common;
use common::procs::descendants;
use common::{kcross, out_dir, tree_612};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// Four middle-sized units per cell (16 compiles a run, each over a second at -j1 here):
/// enough for -j3 to overlap them, without the large ones (mm/filemap.o, mm/rmap.o) that
/// only made the test longer.
const OBJECTS: [&str; 4] = ["mm/mmap.o", "mm/mremap.o", "mm/madvise.o", "mm/mlock.o"];

/// How often /proc is walked. Every walk reads every process's stat (the whole machine's,
/// the other tests' too), so 5 ms took most of a core; a compile lasts over a second.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

fn matrix(dir: &std::path::Path) -> PathBuf {
    let p = dir.join("four.toml");
    let targets: Vec<String> = OBJECTS.iter().map(|o| format!("\"{o}\"")).collect();
    let mut m = format!(
        "name = \"jobserver4\"\n[defaults]\nconfig = \"tinyconfig\"\ntargets = [{}]\n",
        targets.join(", ")
    );
    for a in ["x86_64", "arm64", "riscv64", "powerpc64le"] {
        m.push_str(&format!("[[build]]\narch = \"{a}\"\n"));
    }
    std::fs::write(&p, m).unwrap();
    p
}

/// gcc's compiler proper: one `cc1` per compile job (the driver and `as` beside it with
/// kbuild's -pipe are the same job).
fn compilers(root: u32) -> usize {
    descendants(root)
        .iter()
        .filter(|(_, cmd)| {
            cmd.split(' ')
                .next()
                .is_some_and(|a| a.rsplit('/').next() == Some("cc1"))
        })
        .count()
}

/// Build at `-jJOBS`, sampling the run's compilers every SAMPLE_EVERY: (most at once, samples with
/// any, the cells' build dirs).
fn sampled_build(m: &std::path::Path, jobs: u32, out: &str) -> (usize, usize, Vec<PathBuf>) {
    let out = out_dir(out);
    let mut child = kcross()
        .arg("build")
        .arg(m)
        .arg("--source")
        .arg(tree_612())
        .arg(format!("-j{jobs}"))
        .arg("--json")
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (mut most, mut busy) = (0, 0);
    while child.try_wait().unwrap().is_none() {
        let n = compilers(pid);
        most = most.max(n);
        busy += usize::from(n > 0);
        std::thread::sleep(SAMPLE_EVERY);
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    let dirs = cells
        .iter()
        .map(|c| {
            assert_eq!(c["verdict"], "pass", "{c}");
            PathBuf::from(c["build_dir"].as_str().unwrap())
        })
        .collect();
    (most, busy, dirs)
}

/// Remove the objects, so that the next build compiles each of them again.
fn forget_objects(dirs: &[PathBuf]) {
    for d in dirs {
        for o in OBJECTS {
            let _ = std::fs::remove_file(d.join(o));
        }
    }
}

#[test]
fn four_cells_never_run_more_compilers_than_the_jobserver_has_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let m = matrix(dir.path());
    // Configure (or reuse) the four build dirs and learn where they are.
    let (_, _, dirs) = sampled_build(&m, 2, "jobserver-warm");

    forget_objects(&dirs);
    let (one, busy1, _) = sampled_build(&m, 1, "jobserver-j1");
    assert!(busy1 > 0, "16 compiles and no sample saw a compiler");
    assert_eq!(
        one, 1,
        "-j1: at most one compiler at once, and one was seen"
    );

    forget_objects(&dirs);
    let (three, busy3, _) = sampled_build(&m, 3, "jobserver-j3");
    eprintln!("-j1: most {one} at once ({busy1} busy samples); -j3: most {three} ({busy3})");
    assert!(busy3 > 0);
    assert!(three <= 3, "-j3: {three} compilers at once");
    assert!(
        three >= 2,
        "-j3 over four cells never ran two compilers at once: the sampler would not see a breach"
    );
}
