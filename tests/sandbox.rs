//! Sandboxed builds (`--sandbox`: make under bubblewrap). A modified mm/Makefile in a copy of
//! the source whose recipe writes a file into $HOME and opens a TCP connection to a listener
//! the test runs on 127.0.0.1: without the sandbox both get out (the file is in $HOME, the
//! listener sees the connection); with it neither does, the cell fails, its result says it
//! was sandboxed and its reason quotes what the sandbox stopped. `--sandbox` where bwrap
//! cannot start (a fake failing bwrap on PATH) or is missing is refused with exit 2 and a
//! message naming bwrap's own words or the package, before anything is built or written.

mod common;

use common::{kcross, out_dir, run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// A scratch dir on the cache's filesystem (not /tmp: the tree copy is made of hard links,
/// and $HOME there is an ordinary directory of the read-only system inside the sandbox).
fn scratch() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sandbox");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

/// Counts the connections made to it.
struct Listener {
    port: u16,
    seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Listener {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok(_) => {
                        s.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        });
        Listener {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// Connections accepted so far. A connection made just before the caller looked may
    /// still wait in the backlog (the accept loop sleeps 50 ms when idle): give it time.
    fn seen(&self) -> usize {
        std::thread::sleep(std::time::Duration::from_millis(250));
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const HOSTILE: &str = "
# kcross test: a recipe that reaches outside its build (tests/sandbox.rs)
$(obj)/mprotect.o: kcross-hostile
PHONY += kcross-hostile
kcross-hostile:
\ttouch $$HOME/kcross-pwned; python3 -c 'import os, socket; socket.create_connection((\"127.0.0.1\", int(os.environ[\"KCROSS_TEST_PORT\"])), 5).sendall(b\"hi\")'
";

/// A copy of the 6.12 tree whose mm/Makefile has the hostile recipe, and a one-cell matrix
/// (x86_64 tinyconfig, mm/mprotect.o) building it.
fn hostile_tree(dir: &Path) -> (PathBuf, PathBuf) {
    let (tree, copy) = common::tree_copy_612(dir);
    common::append_to_copy(&tree, &copy, "mm/Makefile", HOSTILE);
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        "name = \"sandbox\"\n[[build]]\nname = \"hostile\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    (copy, m)
}

fn build(
    m: &Path,
    src: &Path,
    out: &Path,
    home: &Path,
    port: u16,
    extra: &[&str],
) -> (i32, String, String) {
    run(kcross()
        .arg("build")
        .arg(m)
        .arg("--source")
        .arg(src)
        .arg("--out")
        .arg(out)
        .args(["-j2", "--json"])
        .args(extra)
        .env("HOME", home)
        .env("KCROSS_TEST_PORT", port.to_string()))
}

#[test]
fn a_makefile_reaches_home_and_the_network_without_the_sandbox_and_neither_with_it() {
    let d = scratch();
    let (src, m) = hostile_tree(d.path());
    let home = d.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let pwned = home.join("kcross-pwned");
    let listener = Listener::start();

    // The counter-case, no sandbox: the recipe writes into $HOME and connects.
    let out = out_dir("sandbox-off");
    let (code, stdout, stderr) = build(&m, &src, &out, &home, listener.port, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    let cell = &s["cells"][0];
    assert_eq!(cell["verdict"], "pass", "{cell:#}");
    assert_eq!(cell["sandboxed"], false, "{cell:#}");
    assert!(pwned.is_file(), "the unsandboxed recipe wrote into $HOME");
    assert_eq!(listener.seen(), 1, "the unsandboxed recipe connected");
    let off_dir = PathBuf::from(cell["dir"].as_str().unwrap());

    // The same build in the sandbox: nothing lands in $HOME, nothing reaches the listener,
    // and the result says so.
    std::fs::remove_file(&pwned).unwrap();
    let out = out_dir("sandbox-on");
    let (code, stdout, stderr) = build(&m, &src, &out, &home, listener.port, &["--sandbox"]);
    assert_eq!(
        code, 1,
        "the hostile recipe fails in the sandbox\n{stdout}\n{stderr}"
    );
    let s: Value = serde_json::from_str(&stdout).unwrap();
    let cell = &s["cells"][0];
    assert_eq!(cell["verdict"], "fail", "{cell:#}");
    assert_eq!(cell["sandboxed"], true, "{cell:#}");
    assert!(!pwned.exists(), "the sandboxed recipe wrote into $HOME");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(listener.seen(), 1, "the sandboxed recipe connected");
    let reason = cell["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("stopped by the sandbox") && reason.contains("Read-only file system"),
        "{reason}"
    );
    // ...and the diagnostics: a `sandbox-denied` error first.
    assert_eq!(cell["diagnostics"][0]["code"], "sandbox-denied", "{cell:#}");
    assert_eq!(cell["errors"], 1, "{cell:#}");
    // The log shows both refusals: the write and the connection.
    let dir = PathBuf::from(cell["dir"].as_str().unwrap());
    let log = std::fs::read_to_string(dir.join("build.log")).unwrap();
    assert!(
        log.contains("kcross-pwned': Read-only file system"),
        "{log}"
    );
    assert!(
        log.contains("Connection refused") || log.contains("Network is unreachable"),
        "{log}"
    );
    let result: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["sandboxed"], true, "{result:#}");
    // The table has the word (stderr carries the human text with --json).
    assert!(stderr.contains("sandboxed"), "{stderr}");

    // reproduce.sh replays the sandbox: run by hand into a fresh O= it fails the same way,
    // nothing in $HOME, no connection. The counter-case is the unsandboxed cell's script,
    // into the same O= first (which also configures it): it gets out.
    let fresh = d.path().join("repro-build");
    let by_hand = |script: &Path| {
        let o = std::process::Command::new("sh")
            .arg(script)
            .env("O", &fresh)
            .env("JOBS", "2")
            .env("HOME", &home)
            .env("KCROSS_TEST_PORT", listener.port.to_string())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    };
    let unsandboxed_script = off_dir.join("reproduce.sh");
    assert!(!std::fs::read_to_string(&unsandboxed_script)
        .unwrap()
        .contains("bwrap"));
    let (ok, text) = by_hand(&unsandboxed_script);
    assert!(ok, "{text}");
    assert!(
        pwned.is_file(),
        "the unsandboxed script wrote into $HOME\n{text}"
    );
    assert_eq!(listener.seen(), 2, "the unsandboxed script connected");
    std::fs::remove_file(&pwned).unwrap();
    let sandboxed_script = dir.join("reproduce.sh");
    let (ok, text) = by_hand(&sandboxed_script);
    assert!(
        !ok,
        "the hostile recipe fails in the replayed sandbox\n{text}"
    );
    assert!(
        text.contains("+ /usr/bin/bwrap --die-with-parent --unshare-net"),
        "{text}"
    );
    assert!(
        text.contains("kcross-pwned': Read-only file system"),
        "{text}"
    );
    assert!(!pwned.exists(), "the sandboxed script wrote into $HOME");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(listener.seen(), 2, "the sandboxed script connected");

    // A sandboxed build that stays inside its build dir passes: the pristine mm/Makefile.
    common::replace_file(
        &src,
        "mm/Makefile",
        std::fs::read_to_string(common::tree_612().join("mm/Makefile")).unwrap(),
    );
    let out = out_dir("sandbox-on-clean");
    let (code, stdout, stderr) = build(&m, &src, &out, &home, listener.port, &["--sandbox"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["cells"][0]["verdict"], "pass", "{s:#}");
    assert_eq!(s["cells"][0]["sandboxed"], true, "{s:#}");
    assert!(!pwned.exists());
    assert_eq!(listener.seen(), 2);
}

/// A PATH whose entries holding bwrap are replaced by a dir of links to everything else in
/// them, plus `fake` (if given) first.
fn path_without_bwrap(dir: &Path, fake: Option<&Path>) -> String {
    let farm = dir.join("farm");
    std::fs::create_dir_all(&farm).unwrap();
    let mut entries: Vec<PathBuf> = fake.map(Path::to_path_buf).into_iter().collect();
    for e in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        if e.join("bwrap").exists() {
            for f in std::fs::read_dir(&e).unwrap().flatten() {
                let name = f.file_name();
                if name != "bwrap" && !farm.join(&name).exists() {
                    std::os::unix::fs::symlink(f.path(), farm.join(&name)).unwrap();
                }
            }
            if !entries.contains(&farm) {
                entries.push(farm.clone());
            }
        } else {
            entries.push(e);
        }
    }
    std::env::join_paths(entries)
        .unwrap()
        .into_string()
        .unwrap()
}

#[test]
fn sandbox_is_refused_where_bwrap_cannot_start_or_is_missing() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"sandbox-refused\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"plain\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    let fake = d.path().join("fake");
    std::fs::create_dir_all(&fake).unwrap();
    let said = "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces";
    std::fs::write(
        fake.join("bwrap"),
        format!("#!/bin/sh\necho '{said}' >&2\nexit 1\n"),
    )
    .unwrap();
    std::fs::set_permissions(fake.join("bwrap"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let sandboxed_build = |out: &std::path::Path, path: &std::ffi::OsStr| {
        run(kcross()
            .arg("build")
            .arg(&m)
            .arg("--out")
            .arg(out)
            .arg("--sandbox")
            .env("PATH", path))
    };
    // bwrap that cannot start: refused with its own words, nothing built or written.
    let path = path_without_bwrap(d.path(), Some(&fake));
    let out = out_dir("sandbox-refused");
    let (code, stdout, stderr) = sandboxed_build(&out, path.as_ref());
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains(said), "bwrap's own message: {stderr}");
    assert!(
        stderr.contains("user namespaces") && stderr.contains("refusing"),
        "{stderr}"
    );
    assert!(!out.join("runs").exists(), "nothing written");

    // The series gate is sandboxed by default: refused the same way without --sandbox.
    let patch = d.path().join("p.patch");
    std::fs::write(&patch, "").unwrap();
    let (code, stdout, stderr) = run(kcross()
        .arg("series")
        .arg(&patch)
        .arg(&m)
        .arg("--out")
        .arg(out_dir("sandbox-refused-series"))
        .env("PATH", &path));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(said) && stderr.contains("kcross series"),
        "{stderr}"
    );

    // bwrap missing: refused naming the package.
    let path = path_without_bwrap(d.path(), None);
    let out = out_dir("sandbox-missing");
    let (code, stdout, stderr) = sandboxed_build(&out, path.as_ref());
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("`bwrap`") && stderr.contains("bubblewrap"),
        "{stderr}"
    );
    assert!(!out.join("runs").exists(), "nothing written");

    // The counter-case: the same PATH without --sandbox is not refused for it (the build
    // runs and passes: bwrap is only asked for when the sandbox is).
    let out = out_dir("sandbox-missing-off");
    let (code, stdout, stderr) = run(kcross()
        .arg("build")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .env("PATH", &path));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

/// Start a sandboxed build whose compiler is a silent sleeping wrapper, wait until the
/// wrapper runs (inside the sandbox), send `sig` to kcross; returns its exit code and the
/// run's processes left 3 s later (the test ends those itself).
fn signal_a_sandboxed_build(sig: i32, name: &str) -> (Option<i32>, Vec<(u32, String)>) {
    use common::procs::marked;
    use std::time::Duration;
    let d = scratch();
    let m = common::silent_build_matrix(d.path());
    let mark = format!("sandbox-{name}-{}", std::process::id());
    let mut child = kcross()
        .arg("build")
        .arg(&m)
        .arg("--out")
        .arg(out_dir(&format!("sandbox-{name}")))
        .arg("--sandbox")
        .env("KCROSS_TEST_MARK", &mark)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::procs::wait_for_marked(&mark, "sleep");
    let before = marked(&mark);
    assert!(
        before
            .iter()
            .any(|(_, c)| c.contains("bwrap --die-with-parent")),
        "make runs inside bwrap: {before:#?}"
    );
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
    let status = child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let left = marked(&mark);
    for (pid, _) in &left {
        unsafe {
            libc::kill(*pid as i32, libc::SIGKILL);
        }
    }
    (status.code(), left)
}

/// The sandbox keeps kcross's process-group handling: bwrap, make and the compilers stay in
/// make's group (no `--new-session`), so SIGTERM of kcross and SIGKILL of it (the watchdog)
/// both end everything inside the sandbox.
#[test]
fn sigterm_and_sigkill_of_a_sandboxed_build_leave_no_process() {
    let (code, left) = signal_a_sandboxed_build(libc::SIGTERM, "sigterm");
    assert_eq!(code, Some(143));
    assert!(left.is_empty(), "left after SIGTERM: {left:#?}");
    let (code, left) = signal_a_sandboxed_build(libc::SIGKILL, "sigkill");
    assert_eq!(code, None, "killed by the signal");
    assert!(left.is_empty(), "left after SIGKILL: {left:#?}");
}

/// The series gate is sandboxed by default: a patch adding the hostile recipe to mm/Makefile
/// fails its step there (the write and the connection refused), and `--no-sandbox` is the
/// counter-case where both get out.
#[test]
fn the_series_gate_is_sandboxed_by_default_and_no_sandbox_opts_out() {
    let d = scratch();
    let tree = common::tree_612();
    let orig = tree.join("mm/Makefile");
    let changed = d.path().join("Makefile.new");
    std::fs::write(
        &changed,
        format!("{}{HOSTILE}", std::fs::read_to_string(&orig).unwrap()),
    )
    .unwrap();
    let diff = std::process::Command::new("diff")
        .args(["-u", "--label", "a/mm/Makefile", "--label", "b/mm/Makefile"])
        .arg(&orig)
        .arg(&changed)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1), "diff -u");
    let patches = d.path().join("patches");
    std::fs::create_dir_all(&patches).unwrap();
    std::fs::write(
        patches.join("0001-hostile.patch"),
        format!(
            "From: Stranger <s@example.com>\nSubject: [PATCH] mm: a hostile recipe\n\n---\ndiff --git a/mm/Makefile b/mm/Makefile\n{}",
            String::from_utf8(diff.stdout).unwrap()
        ),
    )
    .unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"sandbox-series\"\n[[build]]\nname = \"hostile\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    let home = d.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let pwned = home.join("kcross-pwned");
    let listener = Listener::start();
    let series = |name: &str, extra: &[&str]| {
        run(kcross()
            .arg("series")
            .arg(&patches)
            .arg(&m)
            .args(["--source", "linux-source-6.12", "--format", "json", "-j2"])
            .arg("--out")
            .arg(out_dir(name))
            .args(extra)
            .env("HOME", &home)
            .env("KCROSS_TEST_PORT", listener.port.to_string()))
    };

    // Default: sandboxed. The base passes, the patch's step fails on what the sandbox stopped.
    let (code, stdout, stderr) = series("sandbox-series-on", &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["sandboxed"], true, "{stderr}");
    let base = &r["steps"][0]["cells"][0]["result"];
    let step = &r["steps"][1]["cells"][0]["result"];
    assert_eq!(
        (&base["verdict"], &base["sandboxed"]),
        (&"pass".into(), &true.into()),
        "{base:#}"
    );
    assert_eq!(
        (&step["verdict"], &step["sandboxed"]),
        (&"fail".into(), &true.into()),
        "{step:#}"
    );
    let reason = step["reason"].as_str().unwrap();
    assert!(
        reason.contains("stopped by the sandbox") && reason.contains("Read-only file system"),
        "{reason}"
    );
    assert!(!pwned.exists(), "the sandboxed patch wrote into $HOME");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(listener.seen(), 0, "the sandboxed patch connected");
    assert!(stderr.contains("1 cell(s) sandboxed"), "{stderr}");

    // --no-sandbox: the same patch writes into $HOME and connects, and its step passes.
    let (code, stdout, stderr) = series("sandbox-series-off", &["--no-sandbox"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["sandboxed"], false);
    let step = &r["steps"][1]["cells"][0]["result"];
    assert_eq!(
        (&step["verdict"], &step["sandboxed"]),
        (&"pass".into(), &false.into()),
        "{step:#}"
    );
    assert!(pwned.is_file(), "the unsandboxed patch wrote into $HOME");
    assert_eq!(listener.seen(), 1, "the unsandboxed patch connected");
}
