//! `--partition K/N`: one machine's share of a plan when N machines (CI runners) build one
//! matrix between them, and the record a shard's results carry so that `kcross merge` can
//! prove the shards fit together.
//!
//! The algorithm (hash order, dealt round-robin):
//! 1. every cell of the whole plan gets a stable hash: the first 8 bytes of SHA-256 of its
//!    id (the same on every machine, every kcross version and every Rust version; never
//!    `std`'s `DefaultHasher`);
//! 2. the cells are sorted by (hash, id);
//! 3. the i-th cell of that order (from 0) goes to shard `i mod N + 1`.
//!
//! So every cell lands in exactly one shard, every shard gets floor(cells/N) or
//! ceil(cells/N) cells (count-based balancing), and a shard's cells follow from the cell
//! ids alone, not from their order in the matrix. The price of the balance: adding a cell
//! can move others to another shard (a plain `hash mod N`, as cargo-nextest's `hash:K/N`
//! does, moves none but may leave one shard with twice another's share). Within a shard
//! the cells keep the matrix's order.

use super::{Cell, Plan};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `K/N`: shard K (from 1) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl std::str::FromStr for Partition {
    type Err = String;

    /// `K/N` (or `hash:K/N`), 1 <= K <= N.
    fn from_str(s: &str) -> Result<Partition, String> {
        let spec = s.strip_prefix("hash:").unwrap_or(s);
        let usage = || format!("`{s}` is not K/N (shard K of N, 1 <= K <= N, e.g. 2/3)");
        let (k, n) = spec.split_once('/').ok_or_else(usage)?;
        let k: usize = k.trim().parse().map_err(|_| usage())?;
        let n: usize = n.trim().parse().map_err(|_| usage())?;
        if n == 0 {
            return Err(format!("`{s}`: N must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(format!("`{s}`: K must be between 1 and N ({n})"));
        }
        Ok(Partition { k, n })
    }
}

/// What a shard's results say about the whole plan they are part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    pub partition: Partition,
    /// `plan_key` of the whole (unpartitioned) plan.
    pub plan_key: String,
    /// Every cell id of the whole plan, in the matrix's order.
    pub plan_cells: Vec<String>,
    /// The whole plan's `[[known]]` entries, judged again on the merged cells.
    #[serde(default)]
    pub known: Vec<crate::known::KnownIssue>,
}

impl Shard {
    /// The ids of the cells this shard must hold.
    pub fn expected_cells(&self) -> Vec<&str> {
        let shards = assign(&self.plan_cells, self.partition.n);
        self.plan_cells
            .iter()
            .zip(shards)
            .filter(|(_, s)| *s == self.partition.k)
            .map(|(c, _)| c.as_str())
            .collect()
    }
}

fn cell_hash(id: &str) -> u64 {
    let d = Sha256::digest(id.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// The shard (1..=n) of each id, in the order given.
pub fn assign(ids: &[String], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&a, &b| (cell_hash(&ids[a]), &ids[a]).cmp(&(cell_hash(&ids[b]), &ids[b])));
    let mut shard = vec![0; ids.len()];
    for (i, &cell) in order.iter().enumerate() {
        shard[cell] = i % n.max(1) + 1;
    }
    shard
}

/// The identity of a whole plan: its matrix's name and, in order, every cell's id and
/// `config_key()` (arch, make variables, base config and fragments' text) and targets. Two
/// shards with the same key were cut from the same plan; the matrix file's path is not
/// part of it (each CI runner has its own checkout).
pub fn plan_key(plan: &Plan) -> String {
    let mut h = Sha256::new();
    h.update(plan.matrix.as_bytes());
    for c in &plan.cells {
        h.update(b"\0cell\0");
        h.update(c.id.as_bytes());
        h.update(b"\0");
        h.update(c.config_key().as_bytes());
        for t in &c.targets {
            h.update(b"\0");
            h.update(t.as_bytes());
        }
    }
    let d = h.finalize();
    d[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Keep only the cells of shard `p`, and record what the shard is part of.
pub fn partition(mut plan: Plan, p: Partition) -> Plan {
    let ids: Vec<String> = plan.cells.iter().map(|c| c.id.clone()).collect();
    let shard = Shard {
        partition: p,
        plan_key: plan_key(&plan),
        plan_cells: ids.clone(),
        known: plan.known.clone(),
    };
    let shards = assign(&ids, p.n);
    let cells: Vec<Cell> = std::mem::take(&mut plan.cells)
        .into_iter()
        .zip(shards)
        .filter(|(_, s)| *s == p.k)
        .map(|(c, _)| c)
        .collect();
    plan.cells = cells;
    plan.shard = Some(shard);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("arch{i}-gcc-tinyconfig")).collect()
    }

    #[test]
    fn every_cell_lands_in_exactly_one_shard_and_the_counts_balance() {
        for cells in [1, 2, 5, 9, 10, 31, 1000] {
            for n in 1..=7 {
                let ids = ids(cells);
                let a = assign(&ids, n);
                assert!(a.iter().all(|s| (1..=n).contains(s)));
                let counts: Vec<usize> = (1..=n)
                    .map(|k| a.iter().filter(|&&s| s == k).count())
                    .collect();
                assert_eq!(counts.iter().sum::<usize>(), cells);
                let (lo, hi) = (cells / n, cells.div_ceil(n));
                assert!(
                    counts.iter().all(|&c| c == lo || c == hi),
                    "{cells} cells over {n}: {counts:?}"
                );
            }
        }
    }

    #[test]
    fn a_cells_shard_follows_from_the_ids_not_their_order() {
        let ids = ids(9);
        let a = assign(&ids, 3);
        let mut rev = ids.clone();
        rev.reverse();
        let mut b = assign(&rev, 3);
        b.reverse();
        assert_eq!(a, b);
        // Fixed values (tests/shards.rs pins a real matrix's shards too): a change of the
        // hash or of the dealing would move cells between the machines of a half-upgraded
        // CI pipeline.
        let two = ["x86_64-gcc-pud".to_string(), "arm64-gcc-pud".to_string()];
        assert_eq!(assign(&two, 2), [1, 2]);
    }

    #[test]
    fn k_of_n_parses_and_bad_ones_say_why() {
        assert_eq!("2/3".parse(), Ok(Partition { k: 2, n: 3 }));
        assert_eq!("hash:3/3".parse(), Ok(Partition { k: 3, n: 3 }));
        for (bad, why) in [
            ("0/3", "K must be between 1 and N (3)"),
            ("4/3", "K must be between 1 and N (3)"),
            ("1/0", "N must be at least 1"),
            ("x", "is not K/N"),
            ("1/x", "is not K/N"),
            ("-1/3", "is not K/N"),
        ] {
            let e = bad.parse::<Partition>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
