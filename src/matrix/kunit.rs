//! `[runtime] kunit`: the KUnit suites a matrix builds in, by Kconfig symbol. Every cell of
//! the matrix gets one more fragment, `CONFIG_KUNIT=y` and each symbol `=y`, which the
//! kconfig verification checks like any other (a dropped symbol is reported with its unmet
//! `depends on`).

use crate::error::{Error, Result};
use crate::kconfig::Fragment;
use toml::Spanned;

/// `[runtime] kunit`: Kconfig symbols, `CONFIG_` optional, each `[A-Z0-9_]+`.
pub(super) fn symbols(
    r: Option<&super::raw::TomlRuntime>,
    sp: &dyn Fn(&Spanned<String>) -> String,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for s in r.map(|r| r.kunit.as_slice()).unwrap_or_default() {
        let sym = s.get_ref().strip_prefix("CONFIG_").unwrap_or(s.get_ref());
        if sym.is_empty()
            || !sym
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::input(
                sp(s),
                format!(
                    "[runtime] kunit: `{}` is not a Kconfig symbol (e.g. SLUB_KUNIT_TEST)",
                    s.get_ref()
                ),
            ));
        }
        out.push(sym.to_string());
    }
    Ok(out)
}

/// The fragment `[runtime] kunit` adds to every cell: `CONFIG_KUNIT=y`, then each symbol
/// `=y`, one per line, in the matrix's order (its text is part of the config key).
pub fn fragment(origin: &str, symbols: &[String]) -> Result<Fragment> {
    let mut text = String::from("CONFIG_KUNIT=y\n");
    for s in symbols {
        text.push_str(&format!("CONFIG_{s}=y\n"));
    }
    Fragment::parse(&format!("{origin} [runtime] kunit"), &text)
}

#[cfg(test)]
mod tests {
    use crate::toolchain::Registry;

    #[test]
    fn the_kunit_symbols_become_the_last_fragment_of_every_cell() {
        let reg = Registry::load(&[]).unwrap();
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices/kunit-mm.toml");
        let m = crate::matrix::load(Some(&p), &reg).unwrap();
        let rt = m.runtime.as_ref().unwrap();
        assert_eq!(
            rt.kunit,
            [
                "SLUB_KUNIT_TEST",
                "DAMON_KUNIT_TEST",
                "DAMON_VADDR_KUNIT_TEST"
            ]
        );
        let f = m.builds[0].config.fragments.last().unwrap();
        assert_eq!(
            f.text,
            "CONFIG_KUNIT=y\nCONFIG_SLUB_KUNIT_TEST=y\nCONFIG_DAMON_KUNIT_TEST=y\n\
             CONFIG_DAMON_VADDR_KUNIT_TEST=y\n"
        );
        assert!(
            f.path.ends_with("kunit-mm.toml [runtime] kunit"),
            "{}",
            f.path
        );
        assert_eq!(f.requests.len(), 4);
    }

    #[test]
    fn a_kunit_entry_that_is_no_symbol_is_bad_input_at_its_place() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.toml");
        std::fs::write(
            &p,
            "[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\n[runtime]\nkunit = [\"CONFIG_SLUB_KUNIT_TEST\", \"slub kunit\"]\n",
        )
        .unwrap();
        let reg = Registry::load(&[]).unwrap();
        let e = crate::matrix::load(Some(&p), &reg).unwrap_err().to_string();
        assert!(e.contains("m.toml:5:36"), "{e}");
        assert!(e.contains("`slub kunit` is not a Kconfig symbol"), "{e}");
    }
}
