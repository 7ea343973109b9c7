//! A compile farm's hosts, probed before a run: every remote host of a cell's wrapper
//! (distcc's `DISTCC_HOSTS`) compiles a one-line unit with the cell's compiler, alone and
//! without a local fallback. distcc runs a job that a server refuses (no such compiler, not
//! on its allow-list) here instead, so without the probe a farm that lacks a cross compiler
//! builds everything locally and says nothing.

use crate::error::{Error, IoContext, Result};
use crate::plan::{Cell, WrapperProbe};
use crate::toolchain::wrapper::{remote_hosts, Slots};
use std::collections::BTreeSet;
use std::time::Duration;

/// Probe each (host, compiler) of the cells' farms once; the first that fails is an input
/// error naming the host, the compiler and what the host said.
pub fn probe_hosts(cells: &[Cell]) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut dir = None;
    for w in cells.iter().filter_map(|c| c.wrapper.as_ref()) {
        let (Some(p), Some(slots)) = (&w.host_probe, &w.slots) else {
            continue;
        };
        let Ok(list) = std::env::var(&slots.env) else {
            continue;
        };
        for host in remote_hosts(slots.format, &list) {
            if !seen.insert((host.clone(), p.program.clone(), p.compiler.clone())) {
                continue;
            }
            if dir.is_none() {
                let d = tempfile::Builder::new()
                    .prefix("kcross-farm-probe-")
                    .tempdir()
                    .ctx(|| "creating the farm probe's directory".into())?;
                std::fs::write(
                    d.path().join("probe.c"),
                    "int kcross_probe(void) { return 0; }\n",
                )
                .ctx(|| "writing the farm probe".into())?;
                dir = Some(d);
            }
            probe(dir.as_ref().unwrap().path(), slots, &host, p)?;
        }
    }
    Ok(())
}

fn probe(dir: &std::path::Path, slots: &Slots, host: &str, p: &WrapperProbe) -> Result<()> {
    let at = format!("{} host {host}", slots.env);
    let said_path = dir.join("probe.stderr");
    let said =
        std::fs::File::create(&said_path).ctx(|| format!("creating {}", said_path.display()))?;
    let _ = std::fs::remove_file(dir.join("probe.o"));
    let mut cmd = std::process::Command::new(&p.program);
    cmd.arg(&p.compiler)
        .args(["-c", "probe.c", "-o", "probe.o"])
        .current_dir(dir)
        .env(&slots.env, host)
        .envs(&p.probe.env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(said);
    if let Some(var) = &p.probe.state_env {
        let state = tempfile::Builder::new()
            .prefix("state-")
            .tempdir_in(dir)
            .ctx(|| format!("creating a state dir in {}", dir.display()))?;
        cmd.env(var, state.keep());
    }
    let mut child = crate::proc::GroupChild::spawn(&mut cmd)?;
    let status = child.wait_timeout(Duration::from_secs(p.probe.timeout_s))?;
    let text = crate::util::read_lossy(&said_path).unwrap_or_default();
    let last: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let why = last[last.len().saturating_sub(3)..].join(" / ");
    match status {
        Some(s) if s.success() && dir.join("probe.o").is_file() => Ok(()),
        Some(_) => Err(Error::input(
            at,
            format!(
                "cannot compile with {} (`{} {} -c probe.c` sent to that host alone, no local \
                 fallback): {}. Install {} there (and allow it in its /usr/lib/distcc), or \
                 take the host out of {}",
                p.compiler,
                p.program,
                p.compiler,
                if why.is_empty() { "no message" } else { &why },
                p.compiler,
                slots.env
            ),
        )),
        None => Err(Error::input(
            at,
            format!(
                "did not compile a probe with {} within {} s (is its daemon running?)",
                p.compiler, p.probe.timeout_s
            ),
        )),
    }
}
