//! Every arch of the registry, whatever the matrix: can it be built and booted on this host,
//! and which Debian packages would make it so. `kcross doctor` and `kcross arches` render
//! it; `kcross arches --packages` lists the packages for `scripts/setup --all-arches`.

use crate::runtime::needs::{arch_needs, Need};
use crate::toolchain::{Arch, Registry, Requirement};
use serde::Serialize;
use std::path::PathBuf;

/// One program or file, and whether it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub what: String,
    pub package: String,
    pub found: Option<PathBuf>,
}

/// A compiler family on an arch.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyState {
    pub family: String,
    /// Why the family cannot build the arch (`[unsupported]`), or `None`.
    pub unsupported: Option<String>,
    pub needs: Vec<Found>,
}

impl FamilyState {
    pub fn ready(&self) -> bool {
        self.unsupported.is_none() && self.needs.iter().all(|n| n.found.is_some())
    }
}

/// One arch: its names, its families, and how it boots.
#[derive(Debug, Clone, Serialize)]
pub struct ArchState {
    pub name: String,
    pub aliases: Vec<String>,
    pub kernel_arch: String,
    /// Why it cannot be built here at all.
    pub unavailable: Option<String>,
    pub families: Vec<FamilyState>,
    /// What booting it under QEMU needs (empty without `[qemu]`).
    pub boot: Vec<Found>,
    /// Why it has no `[qemu]`.
    pub boot_note: Option<String>,
}

impl ArchState {
    /// Every family it has builds here, and (when it boots) its QEMU, guest compiler and
    /// static libc are there.
    pub fn ready(&self) -> bool {
        self.unavailable.is_none()
            && self
                .families
                .iter()
                .all(|f| f.unsupported.is_some() || f.ready())
            && self.boot.iter().all(|n| n.found.is_some())
    }

    /// The packages of what is missing, each once.
    pub fn missing_packages(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .families
            .iter()
            .filter(|f| f.unsupported.is_none())
            .flat_map(|f| &f.needs)
            .chain(&self.boot)
            .filter(|n| n.found.is_none())
            .map(|n| n.package.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn requirement(r: &Requirement) -> Found {
    Found {
        what: r.program.clone(),
        package: r.package.clone(),
        found: which::which(&r.program).ok(),
    }
}

fn need(n: &Need) -> Found {
    Found {
        what: n.what(),
        package: n.package.clone(),
        found: n.find(),
    }
}

/// The families an arch names (its tables and its `[unsupported]`), in the registry's order.
fn families<'a>(reg: &'a Registry, a: &Arch) -> Vec<&'a str> {
    reg.compilers
        .keys()
        .map(String::as_str)
        .filter(|f| a.compilers.contains_key(*f) || a.unsupported.contains_key(*f))
        .collect()
}

/// Look every arch of the registry up on this host (`which`, the guest libc probe).
pub fn survey(reg: &Registry) -> Vec<ArchState> {
    reg.arches
        .values()
        .map(|a| ArchState {
            name: a.name.clone(),
            aliases: a.aliases.clone(),
            kernel_arch: a.kernel_arch.clone(),
            unavailable: a.unavailable.clone(),
            families: families(reg, a)
                .into_iter()
                .map(|f| FamilyState {
                    family: f.to_string(),
                    unsupported: a.unsupported.get(f).cloned(),
                    needs: match reg.resolve(a, f) {
                        Ok(tc) if !a.unsupported.contains_key(f) => {
                            tc.requires.iter().map(requirement).collect()
                        }
                        _ => Vec::new(),
                    },
                })
                .collect(),
            boot: arch_needs(a).iter().map(need).collect(),
            boot_note: a.boot_note.clone(),
        })
        .collect()
}

/// Every Debian package that building (every supported family) and booting every available
/// arch needs, with the host's, sorted and each once: no look-up on the host.
/// `boot`: with what booting needs (QEMU, the guest libc), else only the compilers'.
pub fn all_packages(reg: &Registry, boot: bool) -> Vec<String> {
    let mut v: Vec<String> = reg.host.iter().map(|r| r.package.clone()).collect();
    for a in reg.arches.values().filter(|a| a.unavailable.is_none()) {
        for f in a.compilers.keys() {
            if let Ok(tc) = reg.resolve(a, f) {
                v.extend(tc.requires.into_iter().map(|r| r.package));
            }
        }
        if boot {
            v.extend(arch_needs(a).into_iter().map(|n| n.package));
        }
    }
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every arch is surveyed; what is installed here (x86_64 and powerpc64le with their
    /// QEMU: scripts/setup) is ready, loongarch64 says why not, and the package list holds
    /// every arch's compiler, guest libc and QEMU but nothing of an unavailable arch.
    #[test]
    fn every_arch_is_surveyed_and_its_packages_listed() {
        let reg = Registry::load(&[]).unwrap();
        let s = survey(&reg);
        assert_eq!(s.len(), reg.arches.len());
        let get = |n: &str| s.iter().find(|a| a.name == n).unwrap();
        assert!(get("x86_64").ready(), "{:?}", get("x86_64"));
        assert!(get("powerpc64le").ready(), "{:?}", get("powerpc64le"));
        let l = get("loongarch64");
        assert!(!l.ready() && l.unavailable.as_deref().unwrap().contains("bookworm"));
        let hex = get("hexagon");
        assert!(hex
            .families
            .iter()
            .any(|f| f.family == "gcc" && f.unsupported.is_some()));
        assert!(hex.missing_packages().iter().all(|p| !p.starts_with("gcc")));
        assert!(get("um").boot.is_empty() && get("um").boot_note.is_some());
        let pkgs = all_packages(&reg, true);
        for p in [
            "gcc-i686-linux-gnu",
            "libc6-dev-i386-cross",
            "gcc-arm-linux-gnueabihf",
            "libc6-dev-armhf-cross",
            "qemu-system-arm",
            "gcc-powerpc64-linux-gnu",
            "libc6-dev-ppc64-cross",
            "gcc-s390x-linux-gnu",
            "qemu-system-s390x",
            "binutils-hppa-linux-gnu",
            "gcc-arc-linux-gnu",
            "clang-14",
            "lld-14",
            "make",
        ] {
            assert!(pkgs.contains(&p.to_string()), "{p}: {pkgs:?}");
        }
        assert!(!pkgs.iter().any(|p| p.contains("loongarch")), "{pkgs:?}");
        // The compilers alone (plain scripts/setup): no QEMU, no guest libc.
        let cc = all_packages(&reg, false);
        assert!(cc.contains(&"gcc-sh4-linux-gnu".to_string()), "{cc:?}");
        assert!(cc.contains(&"clang-14".to_string()), "{cc:?}");
        assert!(
            !cc.iter()
                .any(|p| p.starts_with("qemu") || p.starts_with("libc6-dev-")),
            "{cc:?}"
        );
    }
}
