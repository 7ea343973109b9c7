//! Paths in a log made relative to the source tree (`$(objtree)/` for the build dir), so two
//! trees and two build dirs compare.

use super::*;

pub(super) fn components(p: &str) -> (bool, Vec<String>) {
    let abs = p.starts_with('/');
    let mut out: Vec<String> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..".to_string());
                }
            }
            c => out.push(c.to_string()),
        }
    }
    (abs, out)
}

pub(super) fn strip_prefix_components<'b>(
    path: &'b [String],
    root: &[String],
) -> Option<&'b [String]> {
    if path.len() >= root.len() && path[..root.len()] == *root {
        Some(&path[root.len()..])
    } else {
        None
    }
}

impl<'a> Parser<'a> {
    pub(super) fn new(ctx: &'a ParseContext) -> Self {
        let root = |p: &std::path::Path| match components(&p.to_string_lossy()) {
            (true, comps) => Some(comps),
            (false, _) => None,
        };
        let src_root = root(&ctx.source_root);
        let build_root = root(&ctx.build_root);
        Parser {
            ctx,
            src_root,
            build_root,
            entries: Vec::new(),
            pending_notes: Vec::new(),
            pending_inline_fn: None,
            last_was_include: false,
            fn_ctx: None,
            open_cc: None,
            snippet: Snippet::None,
            clang_candidate: None,
            followup: Followup::None,
            ld_ctx: None,
            shell_lines: Vec::new(),
            compact: compact::State::default(),
        }
    }

    /// Make a path relative to the source tree (or `$(objtree)/` for the build tree),
    /// lexically: `..` is resolved against the build directory, the filesystem is not read.
    pub(super) fn rel(&self, p: &str) -> String {
        let p = p.trim();
        if p.is_empty() || p.starts_with('<') || p.starts_with('{') || p.starts_with('$') {
            return p.to_string();
        }
        let (abs, comps) = components(p);
        let anchored = p.starts_with("./") || comps.first().is_some_and(|c| c == "..");
        let comps = match (abs, anchored, &self.build_root) {
            (true, _, _) => comps,
            (false, true, Some(build)) => components(&format!("/{}/{}", build.join("/"), p)).1,
            _ => {
                return if comps.is_empty() {
                    p.to_string()
                } else {
                    comps.join("/")
                };
            }
        };
        let in_src = self
            .src_root
            .as_ref()
            .and_then(|r| strip_prefix_components(&comps, r).map(|rest| (r.len(), rest)));
        let in_build = self
            .build_root
            .as_ref()
            .and_then(|r| strip_prefix_components(&comps, r).map(|rest| (r.len(), rest)));
        match (in_src, in_build) {
            (src, Some((blen, rest))) if src.is_none_or(|(slen, _)| blen > slen) => {
                if rest.is_empty() {
                    "$(objtree)".to_string()
                } else {
                    format!("$(objtree)/{}", rest.join("/"))
                }
            }
            (Some((_, rest)), _) => {
                if rest.is_empty() {
                    ".".to_string()
                } else {
                    rest.join("/")
                }
            }
            _ => format!("/{}", comps.join("/")),
        }
    }

    /// Relativise every absolute or `./`/`../` path token in a free-text line.
    pub(super) fn rel_text(&self, s: &str) -> String {
        res()
            .path_token
            .replace_all(s, |c: &Captures<'_>| {
                format!("{}{}", &c[1], self.rel(&c[2]))
            })
            .into_owned()
    }
}
