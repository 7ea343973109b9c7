//! Safe mail headers (RFC 5322 / RFC 2047): a value from a patch (a subject, an author) never
//! brings a line break into the header block (no header injection), non-ASCII text is
//! encoded as `=?UTF-8?B?...?=` words, and long values are folded at whitespace.

/// A header value on one logical line: CR, LF and every other control character become a
/// space; runs of whitespace become one space.
pub fn sanitize(v: &str) -> String {
    let mut out = String::new();
    for c in v.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Non-ASCII text as RFC 2047 encoded words (each at most 75 characters), joined by spaces.
fn encode_words(s: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        // 45 bytes of text give 60 of base64: `=?UTF-8?B?` + 60 + `?=` = 72.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join(" ")
}

/// An unstructured value (Subject): sanitized, encoded when not ASCII.
pub fn text(v: &str) -> String {
    let v = sanitize(v);
    if v.is_ascii() {
        v
    } else {
        encode_words(&v)
    }
}

/// An address (`Name <a@b>` or `a@b`): sanitized; a non-ASCII display name encoded; the
/// address itself keeps only characters an address may have.
pub fn address(v: &str) -> String {
    let v = sanitize(v);
    let (name, addr) = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => (v[..a].trim().trim_matches('"').to_string(), &v[a + 1..b]),
        _ => (String::new(), v.as_str()),
    };
    let addr: String = addr
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | ',' | ';' | '"'))
        .collect();
    if name.is_empty() {
        return format!("<{addr}>");
    }
    let name = if name.is_ascii() {
        let n: String = name.chars().filter(|c| *c != '"' && *c != '\\').collect();
        format!("\"{n}\"")
    } else {
        encode_words(&name)
    };
    format!("{name} <{addr}>")
}

/// `Name: value`, folded before 78 columns at spaces (continuation lines start with a space).
pub fn header(name: &str, value: &str) -> String {
    let mut out = String::new();
    let mut line = format!("{name}:");
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if line.len() + 1 + word.len() > 78 && line.len() > name.len() + 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::new();
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_line_break_survives() {
        let evil = "[PATCH 1/2] x\r\nBcc: victim@example.org\n\nbody\u{0}\u{7f}";
        let h = header("Subject", &text(&format!("Re: {evil}")));
        assert_eq!(h.matches('\n').count(), 1, "{h:?}");
        assert!(!h.contains('\r'));
        assert!(h.starts_with("Subject: Re: [PATCH 1/2] x Bcc: victim@example.org body"));
        let a = address("Eve <eve@example.org>\r\nCc: x@y");
        assert!(!a.contains('\n') && !a.contains('\r'), "{a}");
        assert_eq!(
            address("Eve\n <eve@example.org>"),
            "\"Eve\" <eve@example.org>"
        );
        assert_eq!(address("a@b"), "<a@b>");
    }

    #[test]
    fn long_values_fold_and_unicode_is_encoded() {
        let s = "Re: [PATCH v5 3/7] mm/powerpc: Add missing pud helpers and a very long tail that goes on";
        let h = header("Subject", &text(s));
        assert!(h.lines().all(|l| l.len() <= 78), "{h}");
        assert!(h.lines().skip(1).all(|l| l.starts_with(' ')), "{h}");
        // Unfolding gives the value back.
        assert_eq!(h.replace("\n ", " ").trim_end(), format!("Subject: {s}"));
        let u = text("caf\u{e9} ‘x’");
        assert!(u.starts_with("=?UTF-8?B?") && u.is_ascii(), "{u}");
        assert_eq!(crate::series::mbox::decode_rfc2047(&u), "caf\u{e9} ‘x’");
        assert_eq!(base64(b"hello world"), "aGVsbG8gd29ybGQ=");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
