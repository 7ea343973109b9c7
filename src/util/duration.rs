//! Durations as a matrix writes them: `90`, `90s`, `30m`, `2h`, `1h30m` (whole seconds;
//! humantime's syntax, and a bare number of seconds).

/// Seconds in `text`, or why it is not a duration. A bare number is seconds; anything else
/// is read by `humantime` (`90s`, `30m`, `2h`, `1h30m`, `1d`), whole seconds.
pub fn parse(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty duration (write e.g. `90s`, `30m`, `2h`)".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return positive(n, text);
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("`{text}` is not a duration ({e}; write e.g. `90s`, `30m`, `2h`)"))?;
    positive(d.as_secs(), text)
}

fn positive(n: u64, text: &str) -> Result<u64, String> {
    if n == 0 {
        Err(format!("`{text}`: a timeout must be longer than 0 s"))
    } else {
        Ok(n)
    }
}

/// Seconds for people: `2 h`, `30 min`, `1 h 30 min`, `45 s`.
pub fn show(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse("90"), Ok(90));
        assert_eq!(parse("90s"), Ok(90));
        assert_eq!(parse("30m"), Ok(1800));
        assert_eq!(parse("1h30m"), Ok(5400));
        assert!(parse("0").unwrap_err().contains("longer than 0"));
        assert_eq!(parse("1d"), Ok(86400));
        assert!(parse("3x").unwrap_err().contains("`3x` is not a duration"));
        assert!(parse("5m3").unwrap_err().contains("is not a duration"));
        assert!(parse("").is_err());
        assert_eq!(show(5400), "1 h 30 min");
        assert_eq!(show(2), "2 s");
    }
}
