//! `kcross doctor`: what each cell needs, what is missing, and the Debian package for it.

use super::common::{load, requirements, source_spec, Common};
use crate::error::Result;
use crate::source;

pub fn run(c: &Common) -> Result<i32> {
    let l = load(c)?;
    let mut missing_pkgs = Vec::new();
    let mut last_who = String::new();
    for (who, r) in requirements(&l) {
        if who != last_who {
            println!("{who}:");
            last_who = who.clone();
        }
        match which::which(&r.program) {
            Ok(p) => println!("  ok       {:<28} {}", r.program, p.display()),
            Err(_) => {
                println!(
                    "  MISSING  {:<28} apt-get install --no-install-recommends {}",
                    r.program, r.package
                );
                missing_pkgs.push(r.package.clone());
            }
        }
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
