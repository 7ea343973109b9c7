//! What the runtime stage needs on the host before it boots anything, known from the plan
//! alone (so `kcross build --runtime`, `boot` and `nightly` can refuse before building, and
//! `kcross doctor` can list it): for every arch of the plan that boots (it has a `[qemu]`
//! description and is in the matrix's `[runtime] arches`, when given), its QEMU binary, the
//! guest compiler and the static libc it links the guest programs against (`libc6-dev` on
//! the host arch, `libc6-dev-<arch>-cross` otherwise). The initramfs needs no program: kcross
//! writes the newc cpio itself (`cpio.rs`).

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::toolchain::{Arch, Registry};
use std::path::PathBuf;
use std::process::Command;

/// One thing the runtime stage needs, and the Debian package that provides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Who needs it (`runtime x86_64`).
    pub who: String,
    pub kind: NeedKind,
    pub package: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedKind {
    /// A program on PATH.
    Program(String),
    /// `libc.a` where this compiler, with the guest's flags, links
    /// (`<cc> <cflags> -print-file-name=libc.a` finds it).
    StaticLibc { cc: String, cflags: Vec<String> },
}

impl Need {
    /// What is needed, in a few words (`qemu-system-x86_64`, `static libc for x86_64-linux-gnu-gcc`).
    pub fn what(&self) -> String {
        match &self.kind {
            NeedKind::Program(p) => p.clone(),
            NeedKind::StaticLibc { cc, .. } => format!("static libc for {cc}"),
        }
    }

    /// Where it was found, or `None`.
    pub fn find(&self) -> Option<PathBuf> {
        match &self.kind {
            NeedKind::Program(p) => which::which(p).ok(),
            NeedKind::StaticLibc { cc, cflags } => {
                which::which(cc).ok()?;
                let mut cmd = Command::new(cc);
                cmd.args(cflags)
                    .arg("-print-file-name=libc.a")
                    .env("LC_ALL", "C");
                let o = crate::proc::run_capture(&mut cmd).ok()?;
                let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
                // Without it the compiler prints the bare name back.
                (o.status.success() && p.is_absolute() && p.is_file()).then_some(p)
            }
        }
    }
}

/// The arches of the plan's cells that the runtime stage would boot, each once.
pub fn booting_arches<'a>(plan: &Plan, reg: &'a Registry) -> Vec<&'a Arch> {
    let spec = plan.runtime.clone().unwrap_or_default();
    let mut out: Vec<&Arch> = Vec::new();
    for c in &plan.cells {
        if !spec.arches.is_empty() && !spec.arches.contains(&c.arch) {
            continue;
        }
        if let Some(a) = reg.arch(&c.arch).filter(|a| a.qemu.is_some()) {
            if !out.iter().any(|x| x.name == a.name) {
                out.push(a);
            }
        }
    }
    out
}

/// Everything the runtime stage needs for `plan`, arch by arch.
pub fn needs(plan: &Plan, reg: &Registry) -> Vec<Need> {
    booting_arches(plan, reg)
        .into_iter()
        .flat_map(arch_needs)
        .collect()
}

/// What booting `a` needs (nothing for an arch without `[qemu]`): its QEMU, the guest
/// compiler and its static libc.
pub fn arch_needs(a: &Arch) -> Vec<Need> {
    let mut v = Vec::new();
    if let Some(q) = &a.qemu {
        let who = format!("runtime {}", a.name);
        let cc = super::guest::requirement(q);
        v.push(Need {
            who: who.clone(),
            kind: NeedKind::Program(q.binary.clone()),
            package: q.package.clone(),
        });
        v.push(Need {
            who: who.clone(),
            kind: NeedKind::Program(cc.program.clone()),
            package: cc.package,
        });
        v.push(Need {
            who,
            kind: NeedKind::StaticLibc {
                cc: cc.program,
                cflags: q.guest_cflags.clone(),
            },
            package: q.guest_libc_package.clone(),
        });
    }
    v
}

/// `Err(MissingTool)` naming the first missing need and every package to install.
pub fn ensure(plan: &Plan, reg: &Registry) -> Result<()> {
    let missing: Vec<Need> = needs(plan, reg)
        .into_iter()
        .filter(|n| n.find().is_none())
        .collect();
    let Some(first) = missing.first() else {
        return Ok(());
    };
    let mut packages: Vec<&str> = missing.iter().map(|n| n.package.as_str()).collect();
    packages.dedup();
    let arch = first.who.strip_prefix("runtime ").unwrap_or(&first.who);
    Err(Error::MissingTool {
        tool: first.what(),
        needed_by: format!(
            "booting {arch} kernels (runtime stage){}",
            if missing.len() > 1 {
                format!(
                    " (and {} more missing: run `kcross doctor`)",
                    missing.len() - 1
                )
            } else {
                String::new()
            }
        ),
        package: packages.join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default matrix boots x86_64 and powerpc64le (its `[runtime] arches`): their QEMU,
    /// guest compiler and static libc are needed, found on this machine, and arm64's are not
    /// asked for.
    #[test]
    fn the_default_matrix_needs_qemu_and_a_static_libc_for_its_runtime_arches() {
        let reg = Registry::load(&[]).unwrap();
        let m = crate::matrix::load(None, &reg).unwrap();
        let plan = crate::plan::expand(&m, &reg, &Default::default()).unwrap();
        let n = needs(&plan, &reg);
        let what: Vec<String> = n
            .iter()
            .map(|x| format!("{} {}", x.what(), x.package))
            .collect();
        assert_eq!(
            what,
            [
                "qemu-system-x86_64 qemu-system-x86",
                "x86_64-linux-gnu-gcc libc6-dev",
                "static libc for x86_64-linux-gnu-gcc libc6-dev",
                "qemu-system-ppc64 qemu-system-ppc",
                "powerpc64le-linux-gnu-gcc libc6-dev-ppc64el-cross",
                "static libc for powerpc64le-linux-gnu-gcc libc6-dev-ppc64el-cross",
            ]
        );
        for x in &n {
            assert!(x.find().is_some(), "{} is installed here", x.what());
        }
        ensure(&plan, &reg).unwrap();
        // The counter-case: a real compiler with no libc for its target (clang-14 for
        // hexagon-musl prints the bare name back), and a compiler that is not there.
        let libc = |cc: &str, flags: &[&str]| Need {
            who: "t".into(),
            kind: NeedKind::StaticLibc {
                cc: cc.into(),
                cflags: flags.iter().map(|f| f.to_string()).collect(),
            },
            package: "p".into(),
        };
        assert!(libc("clang-14", &["--target=x86_64-linux-gnu"])
            .find()
            .is_some());
        assert_eq!(
            libc("clang-14", &["--target=hexagon-unknown-linux-musl"]).find(),
            None
        );
        assert_eq!(libc("no-such-cc-kcross", &[]).find(), None);
    }
}
