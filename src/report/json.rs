//! JSON: the plain serde data, pretty-printed.

use super::Export;

pub struct Json;

impl<T: serde::Serialize> Export<T> for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn render(&self, value: &T) -> String {
        let mut s = serde_json::to_string_pretty(value).expect("serialisable");
        s.push('\n');
        s
    }
}
