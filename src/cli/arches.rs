//! `kcross arches`: every arch of the registry, whatever the matrix: its names, kernel ARCH,
//! compiler families (or why one cannot build it), how it boots, whether it is ready here and
//! what to install. `--packages` prints every package of every available arch, one a line
//! (`scripts/setup --all-arches`). Also rendered by `kcross doctor` (`section`).

use crate::error::Result;
use crate::readiness::{self, ArchState};
use crate::report::json::Json;
use crate::report::table::{Align, Table};
use crate::report::Export;
use crate::toolchain::Registry;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct ArchesArgs {
    /// Print every Debian package that building and booting every available arch needs,
    /// one a line, and nothing else (no look-up on this host)
    #[arg(long)]
    pub packages: bool,
    /// With --packages: only the compilers and binutils (what the default matrix's helper
    /// check of every arch needs: plain `scripts/setup`), not QEMU or the guest libcs
    #[arg(long, requires = "packages")]
    pub compilers: bool,
    /// Machine-readable output on stdout
    #[arg(long)]
    pub json: bool,
    /// Extra toolchain data directory (arch/*.toml, compiler/*.toml); repeatable
    #[arg(long = "toolchains")]
    pub toolchain_dirs: Vec<PathBuf>,
}

pub fn run(a: &ArchesArgs) -> Result<i32> {
    let reg = Registry::load(&a.toolchain_dirs)?;
    if a.packages {
        for p in readiness::all_packages(&reg, !a.compilers) {
            println!("{p}");
        }
        return Ok(0);
    }
    let s = readiness::survey(&reg);
    if a.json {
        print!("{}", Json.render(&s));
    } else {
        print!("{}", table(&s));
    }
    Ok(0)
}

/// `gcc ok`, `gcc MISSING`, `clang no`: one family on one arch.
fn family_word(s: &ArchState, family: &str) -> String {
    match s.families.iter().find(|f| f.family == family) {
        _ if s.unavailable.is_some() => "-".into(),
        None => "-".into(),
        Some(f) if f.unsupported.is_some() => "unsupported".into(),
        Some(f) if f.ready() => "ok".into(),
        Some(_) => "missing".into(),
    }
}

/// `qemu` when it has a `[qemu]` description (whether that is installed is in `here`).
fn boot_word(s: &ArchState) -> String {
    if s.boot.is_empty() { "no" } else { "qemu" }.into()
}

/// The table of every arch, then a line per arch that is not ready: why, or what to install.
pub fn table(s: &[ArchState]) -> String {
    let mut t = Table::new()
        .col("arch", Align::Left)
        .col("aliases", Align::Left)
        .col("ARCH", Align::Left)
        .col("gcc", Align::Left)
        .col("clang", Align::Left)
        .col("boots", Align::Left)
        .col("here", Align::Left);
    for a in s {
        t.row(vec![
            a.name.clone(),
            a.aliases.join(","),
            a.kernel_arch.clone(),
            family_word(a, "gcc"),
            family_word(a, "clang"),
            boot_word(a),
            if a.ready() { "ready" } else { "not ready" }.into(),
        ]);
    }
    let mut out = t.render();
    let tail = "scripts/setup --all-arches installs every arch's packages (QEMU from bookworm-backports)\n";
    for a in s {
        if let Some(why) = &a.unavailable {
            out.push_str(&format!("  {}: unavailable: {why}\n", a.name));
            continue;
        }
        for f in &a.families {
            if let Some(why) = &f.unsupported {
                out.push_str(&format!("  {}: no {}: {why}\n", a.name, f.family));
            }
        }
        if let Some(note) = &a.boot_note {
            out.push_str(&format!("  {}: {note}\n", a.name));
        }
        let missing = a.missing_packages();
        if !missing.is_empty() {
            out.push_str(&format!(
                "  {}: to make it ready: apt-get install --no-install-recommends {}\n",
                a.name,
                missing.join(" ")
            ));
        }
    }
    if s.iter().any(|a| a.unavailable.is_none() && !a.ready()) {
        out.push_str(tail);
    }
    out
}
