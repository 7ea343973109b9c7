//! TuxSuite plans (`version: 1`, `name`, `description`, `jobs[]`, each job with `build` or
//! `builds` and `test` or `tests`) read into the same checked `Matrix` as a native TOML
//! matrix. Every node keeps its line:col (saphyr's `MarkedYamlOwned`), so every error names
//! file:line:col. kcross works offline: a URL anywhere in a plan is refused; a local path is
//! accepted in its place. The key mapping is in `tuxmake.rs`.

use super::tuxmake;
use super::{Build, Matrix, RuntimeSpec};
use crate::error::{Error, Result};
use crate::toolchain::Registry;
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// How the loader gets the kernel tree that a plan's in-tree kconfig items
/// (`kernel/configs/debug.config`, `kvm_guest.config`) are read from; it is given the plan's
/// own source (`git_repo`, a local path) when it has one. Called at most once, and only for
/// a plan that names an in-tree item.
pub type TreeFn<'a> = dyn Fn(Option<&str>) -> Result<PathBuf> + 'a;

/// What a TuxSuite plan says that kcross records but does not turn into cells.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct Tuxsuite {
    /// What kcross does not run, by name, with where the plan says it (shown by the CLI).
    pub notes: Vec<Note>,
    /// The plan's `patch_series` (a local mbox or patch directory), for `kcross series`.
    pub patch_series: Option<Note>,
}

/// `at` is file:line:col in the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub at: String,
    pub msg: String,
}

type Node = MarkedYamlOwned;

pub(super) struct Ctx<'a> {
    pub origin: &'a str,
    pub dir: &'a Path,
    pub reg: &'a Registry,
    tree: &'a TreeFn<'a>,
    root: OnceCell<PathBuf>,
    source: Option<String>,
}

impl Ctx<'_> {
    pub fn at(&self, n: &Node) -> String {
        let m = n.span.start;
        format!("{}:{}:{}", self.origin, m.line(), m.col() + 1)
    }

    /// The kernel tree for in-tree kconfig items (asked for once).
    pub fn tree(&self) -> Result<&Path> {
        if let Some(r) = self.root.get() {
            return Ok(r);
        }
        let r = (self.tree)(self.source.as_deref())?;
        Ok(self.root.get_or_init(|| r))
    }
}

/// A scalar as text (`LLVM: 1` is "1"); `Err` naming the node for a mapping or list.
pub(super) fn text(cx: &Ctx, n: &Node, what: &str) -> Result<String> {
    match &n.data {
        YamlDataOwned::Value(s) => Ok(match s {
            ScalarOwned::String(s) => s.clone(),
            ScalarOwned::Integer(i) => i.to_string(),
            ScalarOwned::Boolean(b) => b.to_string(),
            ScalarOwned::FloatingPoint(f) => f.to_string(),
            ScalarOwned::Null => String::new(),
        }),
        YamlDataOwned::Representation(s, _, _) => Ok(s.clone()),
        _ => Err(Error::input(
            cx.at(n),
            format!("{what} must be a single value, not a list or mapping"),
        )),
    }
}

/// A mapping's entries as (key text, key node, value node), in order.
pub(super) fn entries<'n>(
    cx: &Ctx,
    n: &'n Node,
    what: &str,
) -> Result<Vec<(String, &'n Node, &'n Node)>> {
    let YamlDataOwned::Mapping(m) = &n.data else {
        return Err(Error::input(
            cx.at(n),
            format!("{what} must be a mapping (key: value)"),
        ));
    };
    m.iter()
        .map(|(k, v)| Ok((text(cx, k, "a key")?, k, v)))
        .collect()
}

/// One node, or each item of a list.
pub(super) fn items(n: &Node) -> Vec<&Node> {
    match &n.data {
        YamlDataOwned::Sequence(s) => s.iter().collect(),
        _ => vec![n],
    }
}

/// `scheme://` anywhere in a scalar (a key or a value), the first one in document order.
fn find_url(n: &Node) -> Option<(&Node, String)> {
    match &n.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) | YamlDataOwned::Representation(s, _, _) => {
            url_in(s).map(|u| (n, u))
        }
        YamlDataOwned::Sequence(s) => s.iter().find_map(find_url),
        YamlDataOwned::Mapping(m) => m
            .iter()
            .find_map(|(k, v)| find_url(k).or_else(|| find_url(v))),
        YamlDataOwned::Tagged(_, inner) => find_url(inner),
        _ => None,
    }
}

fn url_in(s: &str) -> Option<String> {
    let i = s.find("://")?;
    let scheme: String = s[..i]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        .collect();
    if scheme
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        Some(s.to_string())
    } else {
        None
    }
}

/// Is `origin` a TuxSuite plan (by extension)?
pub fn is_plan(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// A plan's text into a checked `Matrix`. `dir` is where its relative paths are read from.
pub fn load(
    origin: &str,
    text_: &str,
    dir: &Path,
    reg: &Registry,
    tree: &TreeFn,
) -> Result<Matrix> {
    let docs = MarkedYamlOwned::load_from_str(text_).map_err(|e| {
        let m = e.marker();
        Error::input(
            format!("{origin}:{}:{}", m.line(), m.col() + 1),
            e.info().to_string(),
        )
    })?;
    let Some(doc) = docs.first() else {
        return Err(Error::input(origin, "the plan is empty"));
    };
    let mut cx = Ctx {
        origin,
        dir,
        reg,
        tree,
        root: OnceCell::new(),
        source: None,
    };
    if let Some((n, url)) = find_url(doc) {
        return Err(Error::input(
            cx.at(n),
            format!(
                "`{url}` is a URL: kcross works offline and never downloads anything; \
                 fetch it yourself and give a local path instead"
            ),
        ));
    }
    let top = entries(&cx, doc, "a TuxSuite plan")?;
    let (mut name, mut description, mut version, mut jobs) = (None, String::new(), None, None);
    for (k, kn, v) in &top {
        match k.as_str() {
            "version" => version = Some((text(&cx, v, "version")?, *v)),
            "name" => name = Some(text(&cx, v, "name")?),
            "description" => description = text(&cx, v, "description")?,
            "jobs" => jobs = Some(*v),
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!("unknown plan key `{other}` (a TuxSuite plan has: version, name, description, jobs)"),
                ))
            }
        }
    }
    match version {
        Some((v, _)) if v == "1" => {}
        Some((v, n)) => {
            return Err(Error::input(
                cx.at(n),
                format!("plan version `{v}`: kcross reads TuxSuite plans of version 1"),
            ))
        }
        None => {
            return Err(Error::input(
                format!("{origin}:1:1"),
                "no `version: 1`: not a TuxSuite plan",
            ))
        }
    }
    let Some(jobs) = jobs.filter(|j| matches!(j.data, YamlDataOwned::Sequence(_))) else {
        return Err(Error::input(
            format!("{origin}:1:1"),
            "the plan has no `jobs:` list",
        ));
    };
    // The plan's own source (git_repo, a local path) first: in-tree items are read from it.
    cx.source = plan_source(&cx, jobs)?;
    let mut info = Tuxsuite::default();
    let mut builds: Vec<Build> = Vec::new();
    let mut boots: Vec<String> = Vec::new();
    let mut unbooted: Vec<(String, String)> = Vec::new();
    for job in items(jobs) {
        let j = job_of(&cx, job)?;
        let mut job_arches = Vec::new();
        for b in &j.builds {
            let job_name = j.name.as_deref().filter(|_| j.builds.len() == 1);
            let t = tuxmake::build(&cx, job_name, b, &mut info)?;
            job_arches.push((t.arch.clone(), t.at.clone()));
            builds.push(t);
        }
        let mut booted = Vec::new();
        for t in &j.tests {
            let arch = tuxmake::test(&cx, t, &job_arches, &mut info)?;
            if !boots.contains(&arch) {
                boots.push(arch.clone());
            }
            booted.push(arch);
        }
        for (a, at) in job_arches {
            if !booted.contains(&a) {
                unbooted.push((a, at));
            }
        }
    }
    if builds.is_empty() {
        return Err(Error::input(cx.at(jobs), "the plan's jobs have no builds"));
    }
    // kcross's [runtime] is per arch: a build of a booted arch whose job has no test boots too.
    for (a, at) in unbooted {
        if boots.contains(&a) {
            info.notes.push(Note {
                at,
                msg: format!("this build has no test in its job, but another job boots {a}: kcross boots every {a} cell"),
            });
        }
    }
    let runtime = (!boots.is_empty()).then(|| RuntimeSpec {
        tests: vec!["boot".to_string()],
        timeout_s: 300,
        arches: boots,
    });
    Ok(Matrix {
        name: name.unwrap_or_else(|| super::stem(origin)),
        description,
        origin: origin.to_string(),
        source: cx.source.clone(),
        builds,
        helpers: Vec::new(),
        check_objects: Vec::new(),
        runtime,
        tuxsuite: Some(info),
    })
}

struct Job<'n> {
    name: Option<String>,
    builds: Vec<&'n Node>,
    tests: Vec<&'n Node>,
}

fn job_of<'n>(cx: &Ctx, job: &'n Node) -> Result<Job<'n>> {
    let mut j = Job {
        name: None,
        builds: Vec::new(),
        tests: Vec::new(),
    };
    let (mut build_key, mut test_key) = (None::<String>, None::<String>);
    for (k, kn, v) in entries(cx, job, "a job")? {
        let (slot, seen) = match k.as_str() {
            "name" => {
                j.name = Some(text(cx, v, "a job's name")?);
                continue;
            }
            "build" | "builds" => (&mut j.builds, &mut build_key),
            "test" | "tests" => (&mut j.tests, &mut test_key),
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!(
                    "unknown job key `{other}` (a job has: name, build or builds, test or tests)"
                ),
                ))
            }
        };
        if let Some(prev) = seen {
            return Err(Error::input(
                cx.at(kn),
                format!("a job has `{prev}` or `{k}`, not both"),
            ));
        }
        *seen = Some(k.clone());
        let list = k.ends_with('s');
        if list != matches!(v.data, YamlDataOwned::Sequence(_)) {
            return Err(Error::input(
                cx.at(v),
                if list {
                    format!(
                        "`{k}` is a list of mappings (use `{}` for one)",
                        &k[..k.len() - 1]
                    )
                } else {
                    format!("`{k}` is one mapping (use `{k}s` for a list)")
                },
            ));
        }
        slot.extend(items(v));
    }
    Ok(j)
}

/// The jobs' `git_repo` (a local path; all the same), resolved against the plan's directory.
fn plan_source(cx: &Ctx, jobs: &Node) -> Result<Option<String>> {
    let mut found: Option<(String, String)> = None;
    for job in items(jobs) {
        let Ok(es) = entries(cx, job, "a job") else {
            continue;
        };
        for (k, _, v) in es {
            if k != "build" && k != "builds" {
                continue;
            }
            for b in items(v) {
                let Ok(bes) = entries(cx, b, "a build") else {
                    continue;
                };
                for (bk, _, bv) in bes {
                    if bk != "git_repo" {
                        continue;
                    }
                    let p = text(cx, bv, "git_repo")?;
                    let path = cx.dir.join(&p);
                    if !path.exists() {
                        return Err(Error::input(
                            cx.at(bv),
                            format!("git_repo `{p}`: no such directory ({})", path.display()),
                        ));
                    }
                    let path = path.display().to_string();
                    match &found {
                        Some((prev, at)) if *prev != path => {
                            return Err(Error::input(
                                cx.at(bv),
                                format!("git_repo `{p}` differs from the one at {at}: kcross builds one source per run"),
                            ))
                        }
                        Some(_) => {}
                        None => found = Some((path, cx.at(bv))),
                    }
                }
            }
        }
    }
    Ok(found.map(|(p, _)| p))
}
