//! Escaping for markup outputs: every text that comes from a log, a patch, a config or a
//! matrix goes through here before it lands in HTML, SVG or XML attributes and content.

/// Escape text for HTML content and attribute values (quoted). Control characters, which
/// HTML5 forbids, become visible symbols (ESC -> U+241B) or U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'))
            }
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' | '\u{fdd0}'..='\u{fdef}' => out.push('\u{FFFD}'),
            c if (c as u32) & 0xFFFE == 0xFFFE => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a & \"b\""), "a &amp; &quot;b&quot;");
        assert_eq!(escape("\u{1b}[31mred\u{0}"), "\u{241b}[31mred\u{2400}");
        assert_eq!(escape("tab\tnl\n"), "tab\tnl\n");
        assert_eq!(escape("\u{85}\u{ffff}"), "\u{fffd}\u{fffd}");
    }
}
