use super::{Diagnostic, ParseContext};

/// Parse a whole build log (make output, stdout and stderr merged) into diagnostics.
pub fn parse_log(_log: &str, _ctx: &ParseContext) -> Vec<Diagnostic> {
    Vec::new()
}
