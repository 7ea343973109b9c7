//! Durations as a matrix writes them: `90`, `90s`, `30m`, `2h`, `1h30m` (whole seconds).

/// Seconds in `text`, or why it is not a duration.
pub fn parse(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty duration (write e.g. `90s`, `30m`, `2h`)".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return positive(n, text);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => {
                return Err(format!(
                    "`{text}` is not a duration: unknown unit `{ch}` (use s, m or h)"
                ))
            }
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: a unit without a number"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: `{num}` has no unit (s, m or h)"
        ));
    }
    positive(total, text)
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
        assert!(parse("3d").unwrap_err().contains("unknown unit `d`"));
        assert!(parse("5m3").unwrap_err().contains("has no unit"));
        assert!(parse("").is_err());
        assert_eq!(show(5400), "1 h 30 min");
        assert_eq!(show(2), "2 s");
    }
}
