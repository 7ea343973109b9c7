//! `kcross plan`: the cells a matrix expands into.

use super::common::{load, Common};
use crate::error::Result;
use crate::report::json::Json;
use crate::report::Export;

pub fn run(c: &Common) -> Result<i32> {
    let l = load(c)?;
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
    Ok(0)
}
