//! The data directories (toolchains/, matrices/, guest/) built into the binary by build.rs.

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Files built into the binary (toolchains/, matrices/, guest/), by repo-relative path.
pub fn embedded_file(path: &str) -> Option<&'static str> {
    files::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
}

pub fn embedded_files(prefix: &str) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    files::FILES
        .iter()
        .copied()
        .filter(move |(p, _)| p.starts_with(prefix))
}
