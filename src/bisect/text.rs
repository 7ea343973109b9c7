//! The bisection's words: the one line a developer pastes, and a mail to the culprit's
//! author (Reported-by style). Plain strings; the CLI prints and writes them.

use super::{BisectResult, Role, Status, StepVerdict, Verified};

fn short(sha: &str) -> &str {
    &sha[..12.min(sha.len())]
}

/// `first bad commit: <sha> <subject> (<cell>: <file:line:col: message [flag]>)`, or why
/// there is none.
pub fn first_bad_line(r: &BisectResult) -> String {
    match (&r.status, &r.culprit) {
        (Status::Found, Some(c)) => format!(
            "first bad commit: {} {} ({}: {}){}",
            c.sha,
            c.subject,
            r.cell,
            r.target.line,
            match &r.verification {
                Some(v) if v.verdict == Verified::Unverified => " [unverified]",
                _ => "",
            }
        ),
        (Status::Ambiguous, _) => format!(
            "first bad commit: not isolated: only skipped commits are left, it is one of {} ({}: {})",
            r.candidates
                .iter()
                .map(|c| short(&c.sha))
                .collect::<Vec<_>>()
                .join(" "),
            r.cell,
            r.target.line
        ),
        _ => format!(
            "first bad commit: not isolated within {} steps: {} commits left ({}: {})",
            r.bisect_steps,
            r.candidates.len(),
            r.cell,
            r.target.line
        ),
    }
}

/// The steps, one line each: `step 3  abc123def456 bad   has the error: ...`.
pub fn steps(r: &BisectResult) -> String {
    let mut s = String::new();
    for st in &r.steps {
        let role = match st.role {
            Role::Good => "good end",
            Role::Bad => "bad end",
            Role::Step => "step",
            Role::VerifyParent => "verify parent",
            Role::VerifyCulprit => "verify culprit",
            Role::VerifyRevert => "verify revert",
        };
        let v = match st.verdict {
            StepVerdict::Good => "good",
            StepVerdict::Bad => "bad",
            StepVerdict::Skip => "skip",
        };
        s.push_str(&format!(
            "{:<15} {} {:<4} {:>6.1}s  {}\n",
            role,
            short(&st.commit.sha),
            v,
            st.wall_s,
            st.reason
        ));
    }
    s
}

/// A mail to the culprit's author, in the style of the kernel's build robots.
pub fn mail(r: &BisectResult, reporter: &str) -> String {
    let Some(c) = &r.culprit else {
        return String::new();
    };
    let name = c.author.split(" <").next().unwrap_or(&c.author);
    let mut m = String::new();
    m.push_str(&format!("To: {}\n", c.author));
    m.push_str(&format!("Subject: Re: {}\n\n", c.subject));
    m.push_str(&format!("Hi {name},\n\n"));
    m.push_str(&format!(
        "kcross bisected {} on {} ({}) between {} (good) and {} (bad) to this commit:\n\n",
        r.chase.describe(),
        r.cell,
        r.arch,
        short(&r.good.sha),
        short(&r.bad.sha)
    ));
    m.push_str(&format!(
        "  commit {}\n  Author: {}\n  Date:   {}\n\n      {}\n\n",
        c.sha, c.author, c.date, c.subject
    ));
    m.push_str(&format!("{}: {}\n", r.cell, r.target.line));
    for l in r.target.lines.iter().filter(|l| **l != r.target.line) {
        m.push_str(&format!("    {l}\n"));
    }
    if let Some(d) = &r.target.diagnostic {
        if let Some(l) = &d.source_line {
            m.push_str(&format!("    {}\n", l.trim_end()));
        }
        for n in d.notes.iter().take(4) {
            m.push_str(&format!("  {n}\n"));
        }
    }
    m.push('\n');
    if let Some(v) = &r.verification {
        m.push_str(&format!(
            "{}: {}\n",
            if v.verdict == Verified::Verified {
                "Verified"
            } else {
                "Not verified"
            },
            v.summary
        ));
    }
    let skipped = r.skipped.len();
    m.push_str(&format!(
        "Bisection: {} commits, {} steps{}.\n\n",
        r.range,
        r.bisect_steps,
        if skipped > 0 {
            format!(
                " ({skipped} skipped for failing another way: {})",
                r.skipped
                    .iter()
                    .map(|c| short(&c.sha))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        } else {
            String::new()
        }
    ));
    m.push_str(
        "If you fix the issue in a separate commit (not just a new version of this one),\nplease add:\n\n",
    );
    m.push_str(&format!("Reported-by: {reporter}\n"));
    m
}
