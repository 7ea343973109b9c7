//! Helper check (issue: helper check). Filled in by the check stage.
