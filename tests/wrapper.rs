//! Compiler wrappers (`--wrapper`, `wrapper =`): a real ccache (bookworm's 4.7.5) caching
//! kbuild's compiles of linux-source-6.12. The same tree is built twice, each time into a
//! fresh build dir (a fresh kcross cache, `--source` the same hard-linked copy), with one
//! fresh ccache dir: the first build misses everything, the second hits nearly everything
//! and reports the same diagnostics. arm64, because x86's tools/objtool passes
//! `-Wp,-MT,<absolute build path>` to its own compiles, which no ccache setting makes alike
//! across build dirs (23 misses per fresh dir, measured; README says so). A missing wrapper
//! is refused, naming its package. A distcc farm of two daemons on 127.0.0.1 runs a cell's
//! compiles, with the local build's verdicts and diagnostics.

mod common;

use common::{kcross, out_dir, run};
use serde_json::Value;
use std::path::Path;

fn only_cell(summary: &Path) -> Value {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "{v}");
    cells[0].clone()
}

/// (fingerprint, file, line) of every diagnostic, sorted.
fn diags(cell: &Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = cell["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["fingerprint"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A hard-linked copy of 6.12 in `dir` whose mm/mprotect.c ends with a function `name`
/// holding an unused variable: one warning, so that "the same diagnostics" compares something.
fn warned_copy(dir: &Path, name: &str) -> std::path::PathBuf {
    let (tree, copy) = common::tree_copy_612(dir);
    common::append_to_copy(
        &tree,
        &copy,
        "mm/mprotect.c",
        &format!("\nint {name}(void);\nint {name}(void)\n{{\n\tint kcross_unused_local = 0;\n\treturn 0;\n}}\n"),
    );
    copy
}

/// `kcross build M --source COPY -j 2 [extra]` with `CCACHE_DIR` set and a kcross cache of
/// its own (`<dir>/kcross-cache-<name>`: a fresh build dir per name); it must pass.
/// Returns the one cell's summary and the table.
fn cached_build(
    dir: &Path,
    m: &Path,
    copy: &Path,
    ccache_dir: &Path,
    name: &str,
    extra: &[&str],
) -> (Value, String) {
    let out = out_dir(&format!("wrapper-{name}"));
    let (code, stdout, err) = run(kcross()
        .env("KCROSS_CACHE", dir.join(format!("kcross-cache-{name}")))
        .env("CCACHE_DIR", ccache_dir)
        .arg("build")
        .arg(m)
        .arg("--source")
        .arg(copy)
        .arg("--out")
        .arg(&out)
        .args(["-j", "2"])
        .args(extra));
    assert_eq!(code, 0, "{stdout}\n{err}");
    (only_cell(&out.join("latest-build/summary.json")), stdout)
}

#[test]
fn a_ccache_build_into_a_fresh_dir_hits_the_cache_with_the_same_diagnostics() {
    let d = tempfile::tempdir().unwrap();
    // ccache must replay the compiler's stderr on a hit.
    let copy = warned_copy(d.path(), "kcross_cached");
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"wrapped\"\n[defaults]\nwrapper = \"ccache\"\n[[build]]\nname = \"mm\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\", \"mm/memory.o\", \"mm/mmap.o\", \"kernel/fork.o\"]\n",
    )
    .unwrap();
    let ccache_dir = d.path().join("ccache");
    let build = |n: &str| cached_build(d.path(), &m, &copy, &ccache_dir, n, &[]);
    let (cold, _) = build("cold");
    let (warm, table) = build("fresh-dir");
    // Two build dirs: the second build is not an incremental make of the first.
    assert_ne!(cold["build_dir"], warm["build_dir"]);
    assert_eq!(warm["incremental"], false, "{warm}");
    // kbuild got the wrapper in CC and HOSTCC, and the cell's config key says so.
    let cmd = std::fs::read_to_string(
        Path::new(warm["build_dir"].as_str().unwrap()).join("mm/.mprotect.o.cmd"),
    )
    .unwrap();
    assert!(
        cmd.starts_with("savedcmd_mm/mprotect.o := ccache aarch64-linux-gnu-gcc "),
        "{cmd}"
    );
    // ... and fixdep still read gcc's -Wp,-MMD file through ccache (ccache issues 1203,
    // 1207): the object's dependencies name its source and the headers it includes.
    assert!(cmd.contains("deps_mm/mprotect.o := \\"), "{cmd}");
    assert!(cmd.contains("include/linux/mm.h"), "{cmd}");
    let stats = |c: &Value| {
        let w = &c["wrapper"];
        assert_eq!(w["wrapper"], "ccache", "{c}");
        (
            w["hits"].as_u64().unwrap(),
            w["misses"].as_u64().unwrap(),
            w["calls"].as_u64().unwrap(),
        )
    };
    let (h0, m0, c0) = stats(&cold);
    let (h1, m1, c1) = stats(&warm);
    // The counter-case: into an empty cache every object is a miss (the hits are kbuild's
    // compiler probes, which configure ran through ccache before the build step).
    assert!(m0 >= 20, "cold: {h0} hits, {m0} misses");
    // Into a fresh dir, the same tree hits above 90% (the fixed KBUILD_BUILD_* and the
    // tree-relative prefix map leave nothing that differs): what missed now hits.
    assert_eq!(c0, c1, "the same calls");
    assert!(
        h1 >= h0 + m0 * 9 / 10,
        "fresh dir: {h1} hits, {m1} misses; cold {h0}/{m0}"
    );
    assert!(h1 * 10 > (h1 + m1) * 9, "fresh dir: {h1} hits, {m1} misses");
    assert!(table.contains("ccache: "), "{table}");
    // The same diagnostics, the injected warning among them, replayed from the cache.
    assert_eq!(diags(&cold), diags(&warm));
    assert!(
        diags(&warm).iter().any(|(_, f, _)| f == "mm/mprotect.c"),
        "{warm}"
    );
    // Without a wrapper the cell has none: no stats, another config key.
    let (code, plan, err) = run(kcross().arg("plan").arg(&m).arg("--json"));
    assert_eq!(code, 0, "{err}");
    assert!(plan.contains("CC=ccache gcc"), "{plan}");
    let plain = d.path().join("plain.toml");
    std::fs::write(
        &plain,
        std::fs::read_to_string(&m)
            .unwrap()
            .replace("wrapper = \"ccache\"\n", ""),
    )
    .unwrap();
    let (code, plan2, err) = run(kcross().arg("plan").arg(&plain).arg("--json"));
    assert_eq!(code, 0, "{err}");
    assert!(!plan2.contains("ccache"), "{plan2}");
}

/// In the sandbox (`series`' default) everything outside the build dir is read-only, ccache's
/// cache too, which failed every compile ("Failed to create directory ...: Read-only file
/// system"). kcross asks the wrapper for its cache dir and leaves that one writable: a first
/// sandboxed build stores its objects, a second into a fresh build dir hits them.
#[test]
fn a_sandboxed_ccache_build_stores_its_results_and_the_next_one_hits() {
    let d = tempfile::tempdir().unwrap();
    let (_, copy) = common::tree_copy_612(d.path());
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"sandboxed-ccache\"\n[defaults]\nwrapper = \"ccache\"\n[[build]]\nname = \"mm\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    // Not there yet: kcross makes it (ccache would, but not through a read-only parent).
    let ccache_dir = d.path().join("ccache");
    let build = |n: &str| {
        let name = format!("sandboxed-{n}");
        cached_build(d.path(), &m, &copy, &ccache_dir, &name, &["--sandbox"]).0
    };
    let first = build("first");
    let second = build("second");
    for c in [&first, &second] {
        assert_eq!(c["verdict"], "pass", "{c}");
        assert_eq!(c["sandboxed"], true, "{c}");
    }
    assert_ne!(first["build_dir"], second["build_dir"]);
    let n = |c: &Value, k: &str| c["wrapper"][k].as_u64().unwrap();
    // The counter-case is the first build: an empty cache, so its objects miss, and each
    // miss was stored (the second build could not hit otherwise).
    assert!(n(&first, "misses") >= 10, "{first}");
    assert!(
        n(&second, "hits") >= n(&first, "hits") + n(&first, "misses") * 9 / 10,
        "first {first}\nsecond {second}"
    );
    assert!(std::fs::read_dir(&ccache_dir).unwrap().count() > 0);
}

#[test]
fn a_missing_or_unknown_wrapper_is_refused_naming_the_package() {
    let d = tempfile::tempdir().unwrap();
    // A PATH holding everything /usr/bin has, except ccache.
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for e in std::fs::read_dir("/usr/bin").unwrap() {
        let e = e.unwrap();
        if e.file_name() != "ccache" {
            std::os::unix::fs::symlink(e.path(), bin.join(e.file_name())).unwrap();
        }
    }
    let out = out_dir("wrapper-missing");
    let build = |wrapper: &str, path: &std::ffi::OsStr| {
        run(kcross()
            .env("PATH", path)
            .args(["build", "--arch", "x86_64", "--wrapper", wrapper, "--out"])
            .arg(&out))
    };
    let (code, _, err) = build("ccache", bin.as_os_str());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ccache") && err.contains("Debian package") && err.contains("ccache"),
        "{err}"
    );
    // Nothing was built or half-written.
    assert!(
        !out.join("latest-build").exists(),
        "{:?}",
        std::fs::read_dir(&out).unwrap().collect::<Vec<_>>()
    );
    // An unknown name lists the known ones.
    let (code, _, err) = build("ccachee", std::env::var_os("PATH").unwrap().as_os_str());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown wrapper `ccachee`"), "{err}");
    assert!(err.contains("ccache, distcc, icecc, sccache"), "{err}");
    // In a matrix, the error points at the key.
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"w\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nwrapper = \"nosuch\"\n",
    )
    .unwrap();
    let (code, _, err) = run(kcross().arg("plan").arg(&m));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("m.toml:5:"), "{err}");
}

/// A distccd on 127.0.0.1 only, in its own process group, ended (the whole group) on drop.
struct Daemon {
    child: std::process::Child,
    log: std::path::PathBuf,
    port: u16,
}

impl Daemon {
    fn start(dir: &Path, name: &str) -> Daemon {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        // a free port: bound by us, released, then given to distccd
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("{name}.log"));
        std::fs::write(&log, "").unwrap();
        // distccd drops root to `nobody` before it opens its log
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
        let mut cmd = std::process::Command::new("distccd");
        cmd.args([
            "--daemon",
            "--no-detach",
            "--listen",
            "127.0.0.1",
            "--allow",
        ])
        .arg("127.0.0.1")
        .arg("--port")
        .arg(port.to_string())
        .args(["--jobs", "2", "--log-level", "info"])
        .arg(format!("--log-file={}", log.display()))
        .process_group(0);
        if unsafe { libc::geteuid() } == 0 {
            cmd.args(["--user", "nobody"]);
        }
        let child = cmd
            .spawn()
            .expect("distccd (scripts/setup installs distcc)");
        // listening?
        for _ in 0..100 {
            if std::fs::read_to_string(&log)
                .unwrap()
                .contains("listening on")
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Daemon { child, log, port }
    }

    /// The compiles it ran: the source file of each `COMPILE_OK` summary line.
    fn compiled(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.contains(" COMPILE_OK "))
            .filter_map(|l| l.split_whitespace().last().map(str::to_string))
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

#[test]
fn a_distcc_farm_of_two_local_daemons_compiles_the_cells_jobs_with_the_local_verdicts() {
    let d = tempfile::tempdir().unwrap();
    let copy = warned_copy(d.path(), "kcross_farmed");
    let a = Daemon::start(d.path(), "a");
    let b = Daemon::start(d.path(), "b");
    let hosts = format!("127.0.0.1:{}/2 127.0.0.1:{}/2", a.port, b.port);
    let matrix = |wrapper: &str| {
        let m = d.path().join(format!("m-{wrapper}.toml"));
        std::fs::write(
            &m,
            format!(
                "name = \"farm\"\n[[build]]\nname = \"objs\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\n{wrapper}targets = [\"mm/mprotect.o\", \"mm/memory.o\", \"mm/mmap.o\", \"kernel/fork.o\"]\n"
            ),
        )
        .unwrap();
        m
    };
    let build = |m: &Path, n: &str| {
        let out = out_dir(&format!("wrapper-farm-{n}"));
        let (code, stdout, err) = run(kcross()
            .env("KCROSS_CACHE", d.path().join("kcross-cache"))
            .env("DISTCC_HOSTS", &hosts)
            // a failed remote compile must not hide behind a local one
            .env("DISTCC_FALLBACK", "0")
            .arg("build")
            .arg(m)
            .arg("--source")
            .arg(&copy)
            .arg("--out")
            .arg(&out));
        (code, stdout, err, out)
    };
    // The counter-case first: built locally, the daemons see nothing.
    let (code, _, err, local_out) = build(&matrix(""), "local");
    assert_eq!(code, 0, "{err}");
    assert!(a.compiled().is_empty() && b.compiled().is_empty());
    let (code, table, err, farm_out) = build(&matrix("wrapper = \"distcc\"\n"), "distcc");
    assert_eq!(code, 0, "{table}\n{err}");
    let (ca, cb) = (a.compiled(), b.compiled());
    // Both daemons compiled, and the cell's objects were among their jobs.
    assert!(!ca.is_empty() && !cb.is_empty(), "a: {ca:?}\nb: {cb:?}");
    let farmed: Vec<&String> = ca.iter().chain(&cb).collect();
    for f in ["mprotect.c", "memory.c", "mmap.c", "fork.c"] {
        assert!(farmed.iter().any(|s| s.ends_with(f)), "{f}: {farmed:?}");
    }
    // The farm's verdicts and diagnostics are the local build's.
    let local = only_cell(&local_out.join("latest-build/summary.json"));
    let farm = only_cell(&farm_out.join("latest-build/summary.json"));
    assert_eq!(local["verdict"], farm["verdict"]);
    assert_eq!(diags(&local), diags(&farm));
    assert!(
        diags(&farm).iter().any(|(_, f, _)| f == "mm/mprotect.c"),
        "{farm}"
    );
    // The jobserver got the hosts' 4 slots (more than the machine's cores) without -j.
    let jobs = |out: &Path| {
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("latest-build/summary.json")).unwrap(),
        )
        .unwrap();
        v["jobs"].as_u64().unwrap()
    };
    let cores = std::thread::available_parallelism().unwrap().get() as u64;
    assert_eq!(jobs(&local_out), cores);
    assert_eq!(jobs(&farm_out), cores.max(4));
    // distcc wraps CC only (host programs stay local).
    let cmd = std::fs::read_to_string(
        Path::new(farm["build_dir"].as_str().unwrap()).join("mm/.mprotect.o.cmd"),
    )
    .unwrap();
    assert!(
        cmd.starts_with("savedcmd_mm/mprotect.o := distcc aarch64-linux-gnu-gcc "),
        "{cmd}"
    );
}

#[test]
fn a_farm_host_without_the_cells_cross_compiler_is_refused_naming_both() {
    use std::os::unix::fs::symlink;
    let d = tempfile::tempdir().unwrap();
    // The arm64 cross tools under a name this machine has and the daemon does not allow
    // (it runs only the compilers listed in /usr/lib/distcc).
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for e in std::fs::read_dir("/usr/bin").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(tool) = name.strip_prefix("aarch64-linux-gnu-") {
            symlink(
                e.path(),
                bin.join(format!("kcfarm-aarch64-linux-gnu-{tool}")),
            )
            .unwrap();
        }
    }
    assert!(!Path::new("/usr/lib/distcc/kcfarm-aarch64-linux-gnu-gcc").exists());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let a = Daemon::start(d.path(), "a");
    let matrix = |extra: &str| {
        let m = d.path().join("m.toml");
        std::fs::write(
            &m,
            format!("name = \"farm-probe\"\n[[build]]\nname = \"obj\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\nwrapper = \"distcc\"\ntargets = [\"mm/mprotect.o\"]\n{extra}"),
        )
        .unwrap();
        m
    };
    let build = |m: &Path, hosts: &str, out: &Path| {
        run(kcross()
            .env("PATH", &path)
            .env("DISTCC_HOSTS", hosts)
            .arg("build")
            .arg(m)
            .arg("--source")
            .arg(common::tree_612())
            .arg("--out")
            .arg(out))
    };
    let host = format!("127.0.0.1:{}/2", a.port);

    // The counter-case: the registry's aarch64-linux-gnu-gcc, which the host has. The probe
    // compiles there, and the run goes on (to a cell cut off at its 1 s limit: cheap).
    let out = out_dir("wrapper-farm-probe-ok");
    let (code, table, err) = build(&matrix("timeout = \"1s\"\n"), &host, &out);
    assert_eq!(code, 1, "{table}\n{err}");
    assert!(table.contains("timeout"), "{table}\n{err}");
    assert_eq!(a.compiled(), ["probe.c"], "the probe, on the host");

    // The host lacks kcfarm-aarch64-linux-gnu-gcc: refused before anything runs.
    let out = out_dir("wrapper-farm-probe-refused");
    let (code, table, err) = build(
        &matrix("cross_compile = \"kcfarm-aarch64-linux-gnu-\"\n"),
        &host,
        &out,
    );
    assert_eq!(code, 2, "{table}\n{err}");
    assert!(err.contains(&format!("DISTCC_HOSTS host {host}")), "{err}");
    assert!(
        err.contains("cannot compile with kcfarm-aarch64-linux-gnu-gcc"),
        "{err}"
    );
    assert!(
        err.contains("Does the server have the compiler installed?"),
        "{err}"
    );
    assert!(!out.join("runs").exists() && !out.join("latest-build").exists());
    assert_eq!(a.compiled(), ["probe.c"], "nothing more compiled there");

    // A host that does not answer is named too.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_host = format!("127.0.0.1:{}/2", dead.local_addr().unwrap().port());
    drop(dead);
    let (code, _, err) = build(&matrix(""), &format!("{host} {dead_host}"), &out);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("DISTCC_HOSTS host {dead_host}")),
        "{err}\n{}",
        std::fs::read_to_string(&a.log).unwrap()
    );
}
