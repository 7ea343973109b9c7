//! Folding repeated diagnostics while a log streams, so that the parser's memory grows with
//! the distinct diagnostics rather than with the log: a warning in a header that every unit
//! includes is printed once per unit, thousands of times in a big build.
//!
//! Only exact repeats are folded (the whole entry equal: diagnostic, notes, context and
//! flags), keeping the first, and only entries that no open context can still change (below
//! every index `open_cc`, the snippet and the follow-up hold). `finish` keeps the first of
//! equal diagnostics and treats equal recipe failures alike, so its result is the same
//! with or without folding (`parse::tests::robustness` checks that on every fixture log).

use super::{Entry, Followup, Parser, Snippet};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Fold when the entries reach this many, then again when they have doubled.
const FIRST: usize = 1024;

pub(super) struct State {
    /// Entries before this index have been folded: no two of them are equal.
    done: usize,
    /// Hash of a folded entry -> its indices.
    index: HashMap<u64, Vec<usize>>,
    /// Fold when the entries reach this many.
    pub(super) next: usize,
    /// The first threshold (tests fold at every push).
    first: usize,
}

impl Default for State {
    fn default() -> Self {
        State::with_first(FIRST)
    }
}

impl State {
    pub(super) fn with_first(first: usize) -> Self {
        State {
            done: 0,
            index: HashMap::new(),
            next: first,
            first,
        }
    }
}

fn hash(e: &Entry) -> u64 {
    let mut h = DefaultHasher::new();
    e.hash(&mut h);
    h.finish()
}

impl Parser<'_> {
    /// Drop the exact repeats among the entries that nothing open can still change.
    pub(super) fn compact(&mut self) {
        let held = [
            self.open_cc,
            match self.snippet {
                Snippet::Diag(i) => Some(i),
                _ => None,
            },
            match self.followup {
                Followup::Indented(i) | Followup::Lld(i) => Some(i),
                Followup::None => None,
            },
        ];
        let floor = held
            .iter()
            .flatten()
            .copied()
            .min()
            .unwrap_or(self.entries.len());
        let floor = floor.max(self.compact.done);
        let tail = self.entries.split_off(floor);
        let fresh = self.entries.split_off(self.compact.done);
        let before = self.entries.len() + fresh.len();
        for e in fresh {
            let h = hash(&e);
            let seen = self.compact.index.get(&h);
            if seen.is_some_and(|v| v.iter().any(|&k| self.entries[k] == e)) {
                continue;
            }
            self.compact
                .index
                .entry(h)
                .or_default()
                .push(self.entries.len());
            self.entries.push(e);
        }
        let removed = before - self.entries.len();
        self.compact.done = self.entries.len();
        self.entries.extend(tail);
        if removed > 0 {
            let shift = |i: &mut usize| *i -= removed;
            if let Some(i) = self.open_cc.as_mut() {
                shift(i);
            }
            if let Snippet::Diag(i) = &mut self.snippet {
                shift(i);
            }
            if let Followup::Indented(i) | Followup::Lld(i) = &mut self.followup {
                shift(i);
            }
        }
        self.compact.next = (2 * self.entries.len()).max(self.compact.first);
    }

    /// Entries held now (for the tests of folding).
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.entries.len()
    }
}
