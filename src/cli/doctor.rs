//! `kcross doctor`: what every stage needs for the matrix, what is missing, and the Debian
//! package for it: the host's build programs, each cell's toolchain (the helper check's own
//! cells too: `[check] arches`), the runtime stage's
//! QEMU, guest compiler and static libc per booting arch (`runtime::needs`), the source; and,
//! reported without failing, what kcross needs no program for (the initramfs, compiler
//! wrappers), the sandbox's bwrap (probed as the stages probe it), the optional KCIDB validator, and every arch of the
//! registry, ready here or not (`readiness`, rendered as `kcross arches` does).

use super::common::{load, load_check, requirements, source_spec, Common};
use crate::error::Result;
use crate::source;
use std::path::PathBuf;

/// One line: `ok`/`MISSING`, what, where it is or how to install it.
fn line(missing: &mut Vec<String>, what: &str, found: Option<PathBuf>, package: &str) {
    match found {
        Some(p) => println!("  ok       {what:<28} {}", p.display()),
        None => {
            println!("  MISSING  {what:<28} apt-get install --no-install-recommends {package}");
            missing.push(package.to_string());
        }
    }
}

pub fn run(c: &Common) -> Result<i32> {
    let l = load(c)?;
    let mut missing_pkgs = Vec::new();
    let mut last_who = String::new();
    for (who, r) in requirements(&l) {
        if who != last_who {
            println!("{who}:");
            last_who = who.clone();
        }
        line(
            &mut missing_pkgs,
            &r.program,
            which::which(&r.program).ok(),
            &r.package,
        );
    }
    // The helper check's cells that are not build cells (`[check] arches`, `from`).
    let chk = load_check(c)?;
    for cell in chk
        .plan
        .cells
        .iter()
        .filter(|x| l.plan.cells.iter().all(|b| b.id != x.id))
    {
        println!("{} (kcross check):", cell.id);
        for r in &cell.toolchain.requires {
            line(
                &mut missing_pkgs,
                &r.program,
                which::which(&r.program).ok(),
                &r.package,
            );
        }
    }
    last_who.clear();
    for n in crate::runtime::needs::needs(&l.plan, &l.reg) {
        if n.who != last_who {
            println!("{} (kcross boot, build --runtime):", n.who);
            last_who = n.who.clone();
        }
        line(&mut missing_pkgs, &n.what(), n.find(), &n.package);
    }
    println!(
        "initramfs:\n  built in kcross writes the newc cpio itself: no cpio program is needed"
    );
    // Wrappers (toolchains/wrapper/): informational; a matrix asking for a missing one is
    // refused when it runs (exit 2, naming the package).
    println!("wrappers (toolchains/wrapper/, --wrapper NAME):");
    for w in l.reg.wrappers.values() {
        let found = which::which(&w.program).ok();
        let status = if found.is_some() { "ok" } else { "absent" };
        let detail = match &found {
            Some(p) => p.display().to_string(),
            None => format!("package {}", w.package),
        };
        println!("  {status:<8} {:<28} {detail}", w.name);
        if let Some(d) = &w.daemon {
            let status = if which::which(&d.program).is_ok() {
                "ok"
            } else {
                "absent"
            };
            println!(
                "  {status:<8} {:<28} daemon of {} (package {})",
                d.program, w.name, d.package
            );
        }
    }
    println!("the sandbox (kcross series by default, --sandbox elsewhere):");
    // The same probe the stages run: found, and able to start a trivial command.
    match (which::which("bwrap"), crate::sandbox::probe("kcross doctor")) {
        (Ok(p), Ok(_)) => println!("  ok       {:<28} {} (starts)", "bwrap", p.display()),
        (Ok(_), Err(e)) => println!("  BROKEN   {:<28} {e}", "bwrap"),
        (Err(_), _) => println!(
            "  MISSING  {:<28} apt-get install --no-install-recommends bubblewrap (series needs it unless --no-sandbox)",
            "bwrap"
        ),
    }
    println!("optional (not needed by any stage):");
    let (status, detail) = kcidb_io();
    println!(
        "  {status:<8} {:<28} {detail}",
        "kcidb-io (KCIDB validator)"
    );
    // Every arch of the registry, whatever the matrix: informational (the exit code is this
    // matrix's needs only).
    println!("every arch of the registry (kcross arches):");
    for line in super::arches::table(&crate::readiness::survey(&l.reg)).lines() {
        println!("  {line}");
    }
    let spec = source_spec(c, &l.matrix);
    match source::resolve(&spec) {
        Ok(p) => println!("source:\n  ok       {spec:<28} {}", p.display()),
        Err(e) => {
            println!("source:\n  MISSING  {e}");
            if spec.starts_with("linux-source-") && !spec.contains('/') {
                missing_pkgs.push(spec.clone());
            }
        }
    }
    missing_pkgs.sort();
    missing_pkgs.dedup();
    if missing_pkgs.is_empty() {
        println!("everything this matrix needs is installed");
        Ok(0)
    } else {
        println!(
            "install: apt-get install --no-install-recommends {}",
            missing_pkgs.join(" ")
        );
        Ok(2)
    }
}

/// Whether python3 imports `kcidb_io` (PyPI's kcidb-io, whose validator checks
/// `kcross report --format kcidb` output): (status word, detail).
fn kcidb_io() -> (&'static str, String) {
    let mut cmd = std::process::Command::new("python3");
    cmd.args([
        "-c",
        "import kcidb_io, sys; sys.stdout.write(kcidb_io.__file__)",
    ]);
    match crate::proc::run_capture(&mut cmd) {
        Ok(o) if o.status.success() => ("ok", String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => (
            "absent",
            "validates `report --format kcidb` output: python3 -m pip install kcidb-io".into(),
        ),
    }
}
