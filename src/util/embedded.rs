//! The data directories (toolchains/, matrices/, guest/) built into the binary by build.rs.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Files built into the binary (toolchains/, matrices/, guest/), by repo-relative path.
pub fn embedded_file(path: &str) -> Option<&'static str> {
    generated::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
}

pub fn embedded_files(prefix: &str) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    generated::FILES
        .iter()
        .copied()
        .filter(move |(p, _)| p.starts_with(prefix))
}
