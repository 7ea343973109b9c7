//! `kcross plan`: the cells a matrix expands into.

use super::common::{load_any, Common};
use crate::error::Result;
use crate::report::json::Json;
use crate::report::Export;

pub fn run(c: &Common) -> Result<i32> {
    let l = load_any(c)?;
    if c.json {
        print!("{}", Json.render(&l.plan));
        return Ok(0);
    }
    println!(
        "matrix {} ({}): {} cell(s)",
        l.plan.matrix,
        l.plan.matrix_origin,
        l.plan.cells.len()
    );
    for cell in &l.plan.cells {
        let frags: Vec<&str> = cell
            .config
            .fragments
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        println!(
            "  {:<28} make {} {}  config {}{}{}",
            cell.id,
            cell.make_vars().join(" "),
            cell.targets.join(" "),
            cell.config.base.label(),
            if frags.is_empty() { "" } else { " + " },
            frags.join(" + ")
        );
    }
    if !l.plan.helpers.is_empty() {
        let h: Vec<&str> = l.plan.helpers.iter().map(|h| h.name.as_str()).collect();
        println!("helpers: {}", h.join(", "));
    }
    if let Some(arches) = &l.matrix.check_arches {
        // `[check] arches`: the check covers more than the build cells.
        let mut extra: Vec<&str> = Vec::new();
        for b in &l.matrix.check_builds {
            if !extra.contains(&b.arch.as_str()) {
                extra.push(&b.arch);
            }
        }
        println!(
            "check: {} arch(es); not built, checked on cells from [check] from: {}",
            arches.len(),
            if extra.is_empty() {
                "none".to_string()
            } else {
                extra.join(", ")
            }
        );
    }
    if let Some(ps) = l
        .matrix
        .tuxsuite
        .as_ref()
        .and_then(|t| t.patch_series.as_ref())
    {
        println!(
            "patch series {} ({}): gate it with `kcross series {} {}`",
            ps.msg, ps.at, ps.msg, l.matrix.origin
        );
    }
    Ok(0)
}
