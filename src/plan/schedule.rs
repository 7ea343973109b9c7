//! Which cell starts first: the longest expected first (LPT), so that the longest cell is
//! not the one that starts last and runs alone at the end while the other cores idle. All
//! cells still share the one jobserver (`build::Jobs`); the order decides who starts, and
//! so who takes tokens, first when `--cells-at-once` is below the number of cells.
//!
//! The expected time of a cell is its last recorded `total_s` in the history when there is
//! one (same matrix, same cell id), else a static estimate from data:
//!
//!   arch's `cold_build_s` (toolchains/arch/*.toml; measured: a cold tinyconfig cell of
//!   the default matrix, full image, 2 cores: x86_64 707 s, powerpc64le 1208 s, arm64
//!   986 s, riscv64 453 s; an arch without a figure counts `DEFAULT_COLD_BUILD_S`, their
//!   mean rounded)
//!   x the base config's factor (`CONFIG_FACTORS`: tinyconfig/allnoconfig 1, anything else,
//!   a defconfig or a config file, 6, allmodconfig/allyesconfig 40; guesses of the relative
//!   size, not measured here)
//!   x `OBJECTS_FACTOR` (0.15, a guess: configure and `make prepare` still run) when every
//!   target is an object or a listing (`mm/mprotect.o`, `.i`, `.s`, `.lst`), not an image.
//!
//! Only the order matters, so the guesses need to rank cells, not to predict them. Ties keep
//! the matrix's order.

use super::Cell;
use crate::toolchain::Registry;
use std::collections::BTreeMap;

pub const DEFAULT_COLD_BUILD_S: f64 = 840.0;
pub const OBJECTS_FACTOR: f64 = 0.15;
pub const CONFIG_FACTORS: &[(&str, f64)] = &[
    ("tinyconfig", 1.0),
    ("allnoconfig", 1.0),
    ("allmodconfig", 40.0),
    ("allyesconfig", 40.0),
];
pub const OTHER_CONFIG_FACTOR: f64 = 6.0;

/// Where a cell's expected time came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expected {
    History(f64),
    Estimate(f64),
}

impl Expected {
    pub fn seconds(self) -> f64 {
        match self {
            Expected::History(s) | Expected::Estimate(s) => s,
        }
    }
}

fn objects_only(targets: &[String]) -> bool {
    !targets.is_empty()
        && targets.iter().all(|t| {
            [".o", ".i", ".s", ".lst"]
                .iter()
                .any(|ext| t.ends_with(ext))
        })
}

/// The static estimate of a cell's cold build, in seconds.
pub fn estimate(cell: &Cell, reg: &Registry) -> f64 {
    let arch_s = reg
        .arch(&cell.arch)
        .and_then(|a| a.cold_build_s)
        .unwrap_or(DEFAULT_COLD_BUILD_S);
    let label = match &cell.config.base {
        crate::kconfig::Base::Target(t) => t.as_str(),
        crate::kconfig::Base::File { .. } => "",
    };
    let config = CONFIG_FACTORS
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, f)| *f)
        .unwrap_or(OTHER_CONFIG_FACTOR);
    let targets = if objects_only(&cell.targets) {
        OBJECTS_FACTOR
    } else {
        1.0
    };
    arch_s * config * targets
}

/// Each cell's expected time: `history` (cell id -> seconds of its last recorded build)
/// first, the static estimate otherwise.
pub fn expected(cells: &[Cell], reg: &Registry, history: &BTreeMap<String, f64>) -> Vec<Expected> {
    cells
        .iter()
        .map(|c| match history.get(&c.id) {
            Some(&s) if s > 0.0 => Expected::History(s),
            _ => Expected::Estimate(estimate(c, reg)),
        })
        .collect()
}

/// The order to start the cells in: indexes into `expected`, longest first, ties in the
/// matrix's order.
pub fn order(expected: &[Expected]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..expected.len()).collect();
    idx.sort_by(|&a, &b| {
        expected[b]
            .seconds()
            .total_cmp(&expected[a].seconds())
            .then(a.cmp(&b))
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(toml: &str) -> (Vec<Cell>, Registry) {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("m.toml");
        std::fs::write(&m, toml).unwrap();
        let reg = Registry::load(&[]).unwrap();
        let m = crate::matrix::load(Some(&m), &reg).unwrap();
        let p = super::super::expand(&m, &reg, &Default::default()).unwrap();
        (p.cells, reg)
    }

    fn ids(cells: &[Cell], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| cells[i].id.clone()).collect()
    }

    const FOUR: &str = "name = \"four\"\n[defaults]\nconfig = \"tinyconfig\"\n\
        [[build]]\narch = \"x86_64\"\n[[build]]\narch = \"powerpc64le\"\n\
        [[build]]\narch = \"arm64\"\n[[build]]\narch = \"riscv64\"\n";

    #[test]
    fn without_history_the_measured_arch_figures_rank_the_cells() {
        let (cells, reg) = plan(FOUR);
        let e = expected(&cells, &reg, &BTreeMap::new());
        assert_eq!(
            e.iter().map(|e| e.seconds()).collect::<Vec<_>>(),
            [707.0, 1208.0, 986.0, 453.0]
        );
        assert_eq!(
            ids(&cells, &order(&e)),
            [
                "powerpc64le-gcc-tinyconfig",
                "arm64-gcc-tinyconfig",
                "x86_64-gcc-tinyconfig",
                "riscv64-gcc-tinyconfig"
            ]
        );
    }

    #[test]
    fn history_overrides_the_estimate_and_bigger_configs_go_first() {
        let (cells, reg) = plan(FOUR);
        // riscv64 took longest last time: it starts first, whatever its arch's figure.
        let hist = BTreeMap::from([("riscv64-gcc-tinyconfig".to_string(), 2000.0)]);
        let e = expected(&cells, &reg, &hist);
        assert_eq!(e[3], Expected::History(2000.0));
        assert_eq!(e[0], Expected::Estimate(707.0));
        assert_eq!(ids(&cells, &order(&e))[0], "riscv64-gcc-tinyconfig");

        // A defconfig of the quickest arch outranks a tinyconfig of the slowest; an
        // objects-only cell of the slowest arch goes last.
        let (cells, reg) = plan(
            "name = \"mixed\"\n\
             [[build]]\nname = \"obj\"\narch = \"powerpc64le\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n\
             [[build]]\narch = \"powerpc64le\"\nconfig = \"tinyconfig\"\n\
             [[build]]\narch = \"riscv64\"\nconfig = \"defconfig\"\n",
        );
        let e = expected(&cells, &reg, &BTreeMap::new());
        assert_eq!(
            ids(&cells, &order(&e)),
            [
                "riscv64-gcc-defconfig",
                "powerpc64le-gcc-tinyconfig",
                "powerpc64le-gcc-obj"
            ]
        );
    }

    #[test]
    fn ties_keep_the_matrix_order() {
        let e = [
            Expected::Estimate(5.0),
            Expected::History(9.0),
            Expected::Estimate(5.0),
        ];
        assert_eq!(order(&e), [1, 0, 2]);
    }
}
