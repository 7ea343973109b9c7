//! The matrix as written: raw serde shapes for the native TOML and the lkb-harness JSON.
//! Validation into the checked `Matrix` happens in `super::load`.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlMatrix {
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Default kernel source: a tarball, a directory, a git tree, or a Debian package name
    /// (`linux-source-6.12`).
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub defaults: TomlDefaults,
    #[serde(default)]
    pub build: Vec<Spanned<TomlBuild>>,
    pub check: Option<TomlCheck>,
    pub runtime: Option<TomlRuntime>,
    /// Known issues (checked in `super::known`).
    #[serde(default)]
    pub known: Vec<Spanned<TomlKnown>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlDefaults {
    pub toolchains: Option<Vec<Spanned<String>>>,
    pub config: Option<Spanned<String>>,
    pub fragments: Option<Vec<Spanned<String>>>,
    pub targets: Option<Vec<String>>,
    pub make_args: Option<Vec<Spanned<String>>>,
    /// How long each cell's build may take (`30m`, `2h`, `90s`).
    pub timeout: Option<Spanned<String>>,
    /// A compiler wrapper (`toolchains/wrapper/<name>.toml`: ccache, distcc, ...).
    pub wrapper: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlBuild {
    pub name: Option<String>,
    pub arch: Spanned<String>,
    pub toolchains: Option<Vec<Spanned<String>>>,
    pub config: Option<Spanned<String>>,
    /// Added after the defaults' fragments.
    pub fragments: Option<Vec<Spanned<String>>>,
    pub targets: Option<Vec<String>>,
    pub make_args: Option<Vec<Spanned<String>>>,
    pub cross_compile: Option<String>,
    /// This entry's cells' build time limit (replaces `[defaults] timeout`).
    pub timeout: Option<Spanned<String>>,
    /// This entry's compiler wrapper (replaces `[defaults] wrapper`).
    pub wrapper: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlCheck {
    #[serde(default)]
    pub helpers: Vec<Spanned<String>>,
    /// Extra objects to build and inspect besides those found from the tree.
    #[serde(default)]
    pub objects: Vec<String>,
    /// The headers the probe includes (default: `super::check::DEFAULT_INCLUDES`).
    pub includes: Option<Spanned<Vec<Spanned<String>>>>,
    /// The arches the check covers: `"all"` or a list (default: the arches built here).
    pub arches: Option<Spanned<toml::Value>>,
    /// A matrix (relative to this one) whose entries give the covered arches not built here.
    pub from: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlRuntime {
    #[serde(default)]
    pub tests: Vec<Spanned<String>>,
    /// Seconds per boot.
    pub timeout: Option<u64>,
    /// Arches to run on (default: every built arch that has a QEMU description).
    pub arches: Option<Vec<Spanned<String>>>,
    /// KUnit suites to build in and run at boot, by Kconfig symbol (`SLUB_KUNIT_TEST`).
    #[serde(default)]
    pub kunit: Vec<Spanned<String>>,
}

/// A `[[known]]` entry as written: a `fingerprint`, or a `file` and/or a message `pattern`;
/// the `cells` it applies to; a `reason` and a `link`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlKnown {
    pub fingerprint: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub severity: Option<Spanned<String>>,
    pub cells: Option<Vec<Spanned<String>>>,
    pub reason: Option<Spanned<String>>,
    pub link: Option<Spanned<String>>,
}

/// lkb-harness style: a list of builds, or `{ "builds": [...] }` (chosen by the first
/// character, so that serde_json keeps exact line:column in its errors).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonObject {
    pub name: Option<String>,
    pub source: Option<String>,
    pub builds: Vec<JsonBuild>,
    #[serde(default)]
    pub helpers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBuild {
    pub arch: String,
    pub config: String,
    pub name: Option<String>,
    pub cross_compile: Option<String>,
    #[serde(default)]
    pub llvm: bool,
    #[serde(default)]
    pub make_args: Vec<String>,
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub fragments: Vec<String>,
}
